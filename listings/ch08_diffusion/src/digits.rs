//! Diffusion on handwritten digits, twice: on the pixels of 14×14 digits, and
//! on the codes of an autoencoder (latent diffusion). The same ε-predictor,
//! loss and DDIM sampler as on the plane; a classifier trained here judges
//! what comes out.

use crate::model::{self, predict, EpsNet, EMBED};
use crate::sample::{ddim, gaussian, timesteps};
use crate::schedule::Schedule;
use anyhow::{anyhow, Context, Result};
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::data::mnist;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Side of the downsampled digits.
pub const SIDE: usize = 14;
/// Pixels of a downsampled digit.
pub const PIXELS: usize = SIDE * SIDE;
/// Numbers in an autoencoder code.
pub const LATENT: usize = 8;
/// Digit classes.
pub const CLASSES: usize = mnist::CLASSES;
/// The probability above which the classifier "recognises" a digit.
pub const CONFIDENT: f32 = 0.9;
/// Seed of the digit experiment.
pub const SEED: u64 = 88;
/// Samples whose whole reverse path the outcome keeps.
pub const PATHS: usize = 4;

/// A digit: `PIXELS` grey values in [−1, 1].
pub type Digit = [f32; PIXELS];
/// An autoencoder code.
pub type Code = [f32; LATENT];

// ANCHOR: downsample
/// A 28×28 MNIST digit (grey values in [0, 1]) → the means of its 2×2
/// blocks, mapped to [−1, 1] so that the data sits on the scale of N(0, I).
pub fn downsample(image: &[f32; mnist::PIXELS]) -> Digit {
    std::array::from_fn(|i| {
        let (row, col) = (2 * (i / SIDE), 2 * (i % SIDE));
        let at = |r: usize, c: usize| image[r * mnist::SIDE + c];
        let mean = (at(row, col)
            + at(row, col + 1)
            + at(row + 1, col)
            + at(row + 1, col + 1))
            / 4.0;
        2.0 * mean - 1.0
    })
}
// ANCHOR_END: downsample

// ANCHOR: models
/// The judge: 196 → 128 → 10 logits.
pub type ClassifierArch = ((Linear<PIXELS, 128>, ReLU), Linear<128, CLASSES>);
/// Encoder 196 → 256 → 8 and decoder 8 → 256 → 196 (tanh: pixels in
/// [−1, 1]).
pub type AutoencoderArch = (
    (Linear<PIXELS, 256>, ReLU, Linear<256, LATENT>),
    (Linear<LATENT, 256>, ReLU, Linear<256, PIXELS>, Tanh),
);
/// ε̂_θ on pixels: 196 + 32 inputs, 256 hidden units.
pub type PixelNet = EpsNet<{ PIXELS + EMBED }, 256, PIXELS>;
/// ε̂_θ on codes: 8 + 32 inputs, 256 hidden units.
pub type LatentNet = EpsNet<{ LATENT + EMBED }, 256, LATENT>;
// ANCHOR_END: models
pub type Classifier = <ClassifierArch as BuildOnDevice<Cpu, f32>>::Built;
pub type Autoencoder = <AutoencoderArch as BuildOnDevice<Cpu, f32>>::Built;

/// The training budgets and how many digits each model generates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub classifier: model::Budget,
    pub autoencoder: model::Budget,
    pub pixel: model::Budget,
    pub latent: model::Budget,
    pub samples: usize,
    /// DDIM steps from noise to a digit.
    pub sampling_steps: usize,
}

/// The 14×14 training and test digits with their labels.
pub struct Data {
    pub train: Vec<Digit>,
    pub train_labels: Vec<usize>,
    pub test: Vec<Digit>,
    pub test_labels: Vec<usize>,
}

/// Loads the shipped MNIST digits and downsamples them.
pub fn data() -> Result<Data> {
    let mnist = mnist::load(&mnist::default_dir())?;
    let down = |set: &mnist::Labelled| -> Vec<Digit> {
        set.images.iter().map(downsample).collect()
    };
    Ok(Data {
        train: down(&mnist.train),
        train_labels: mnist.train.labels.clone(),
        test: down(&mnist.test),
        test_labels: mnist.test.labels.clone(),
    })
}

/// The rows of `data` at `indices` as an `(n, W)` tensor.
fn rows<const W: usize>(
    dev: &Cpu,
    data: &[[f32; W]],
    indices: &[usize],
) -> Tensor<(usize, Const<W>), f32, Cpu> {
    let flat: Vec<f32> = indices.iter().flat_map(|&i| data[i]).collect();
    dev.tensor_from_vec(flat, (indices.len(), Const::<W>))
}

/// All of `data` as an `(n, W)` tensor.
fn all_rows<const W: usize>(
    dev: &Cpu,
    data: &[[f32; W]],
) -> Tensor<(usize, Const<W>), f32, Cpu> {
    rows(dev, data, &(0..data.len()).collect::<Vec<_>>())
}

/// A scalar loss on the gradient tape.
type Loss = Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>;

/// `budget.steps` Adam steps with a cosine-decayed learning rate, each on
/// `budget.batch` random indices below `count`; `loss(model, indices,
/// grads)` returns the batch's loss on the tape.
fn fit<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    count: usize,
    budget: model::Budget,
    seed: u64,
    mut loss: impl FnMut(&M, &[usize], Gradients<f32, Cpu>) -> Loss,
) -> Result<f32> {
    let mut adam = Adam::new(
        &*model,
        AdamConfig {
            lr: budget.lr,
            ..Default::default()
        },
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut last = f32::NAN;
    for step in 1..=budget.steps {
        adam.cfg.lr = budget.cosine_lr(step);
        let indices: Vec<usize> =
            (0..budget.batch).map(|_| rng.gen_range(0..count)).collect();
        let value = loss(model, &indices, model.alloc_grads());
        last = value.array();
        let grads = value.backward();
        adam.update(model, &grads)
            .map_err(|err| anyhow!("Adam update failed: {err:?}"))?;
    }
    Ok(last)
}

/// Trains the classifier on the training digits.
pub fn train_classifier(
    data: &Data,
    budget: model::Budget,
) -> Result<Classifier> {
    let dev = Cpu::seed_from_u64(SEED);
    let mut classifier = dev.build_module::<ClassifierArch, f32>();
    let one_hot: Vec<[f32; CLASSES]> = data
        .train_labels
        .iter()
        .map(|&label| std::array::from_fn(|c| f32::from(c == label)))
        .collect();
    fit(
        &mut classifier,
        data.train.len(),
        budget,
        SEED,
        |net, indices, grads| {
            let x = rows(&dev, &data.train, indices).traced(grads);
            let targets = rows(&dev, &one_hot, indices);
            cross_entropy_with_logits_loss(net.forward(x), targets)
        },
    )?;
    Ok(classifier)
}

/// The classifier's probabilities for each digit.
pub fn probabilities(
    classifier: &Classifier,
    digits: &[Digit],
) -> Vec<[f32; CLASSES]> {
    let dev = classifier.0 .0.weight.device().clone();
    let logits = classifier.forward(all_rows(&dev, digits));
    let p = logits.softmax::<Axis<1>>().as_vec();
    p.chunks_exact(CLASSES)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect()
}

/// What the classifier makes of a set of digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Fraction the classifier gives one class a probability ≥ [`CONFIDENT`].
    pub recognised: f64,
    /// How many digits it assigns to each class (its most likely one).
    pub counts: [usize; CLASSES],
}

/// The classifier's verdict on `digits`.
pub fn judge(classifier: &Classifier, digits: &[Digit]) -> Verdict {
    let mut counts = [0; CLASSES];
    let mut recognised = 0;
    for p in probabilities(classifier, digits) {
        let (class, &top) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("ten classes");
        counts[class] += 1;
        recognised += usize::from(top >= CONFIDENT);
    }
    Verdict {
        recognised: recognised as f64 / digits.len().max(1) as f64,
        counts,
    }
}

/// Classification accuracy on the test digits.
pub fn accuracy(classifier: &Classifier, data: &Data) -> f64 {
    let correct = probabilities(classifier, &data.test)
        .iter()
        .zip(&data.test_labels)
        .filter(|(p, &label)| {
            p.iter().all(|&q| q <= p[label]) // label is a most likely class
        })
        .count();
    correct as f64 / data.test.len() as f64
}

/// Trains the autoencoder to reconstruct the training digits.
pub fn train_autoencoder(
    data: &Data,
    budget: model::Budget,
) -> Result<Autoencoder> {
    let dev = Cpu::seed_from_u64(SEED + 1);
    let mut autoencoder = dev.build_module::<AutoencoderArch, f32>();
    fit(
        &mut autoencoder,
        data.train.len(),
        budget,
        SEED + 1,
        |ae, indices, grads| {
            let x = rows(&dev, &data.train, indices);
            let reconstruction = ae.forward(x.clone().traced(grads));
            mse_loss(reconstruction, x)
        },
    )?;
    Ok(autoencoder)
}

/// The encoder's codes of `digits`.
pub fn encode(ae: &Autoencoder, digits: &[Digit]) -> Vec<Code> {
    let dev = ae.0 .0.weight.device().clone();
    let codes = ae.0.forward(all_rows(&dev, digits)).as_vec();
    codes
        .chunks_exact(LATENT)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect()
}

/// The decoder's digits for `codes`.
pub fn decode(ae: &Autoencoder, codes: &[Code]) -> Vec<Digit> {
    let dev = ae.0 .0.weight.device().clone();
    let pixels = ae.1.forward(all_rows(&dev, codes)).as_vec();
    pixels
        .chunks_exact(PIXELS)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect()
}

// ANCHOR: standardize
/// Per-coordinate mean and standard deviation of the training codes: the
/// diffusion runs on (z − mean)/std, on the scale of its N(0, I) prior
/// (Rombach et al. rescale their codes the same way).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standardize {
    pub mean: Code,
    pub std: Code,
}

impl Standardize {
    pub fn fit(codes: &[Code]) -> Self {
        let n = codes.len() as f32;
        let mean: Code = std::array::from_fn(|j| {
            codes.iter().map(|z| z[j]).sum::<f32>() / n
        });
        let std = std::array::from_fn(|j| {
            let var =
                codes.iter().map(|z| (z[j] - mean[j]).powi(2)).sum::<f32>() / n;
            var.sqrt().max(1e-6)
        });
        Standardize { mean, std }
    }
    pub fn forward(&self, z: &Code) -> Code {
        std::array::from_fn(|j| (z[j] - self.mean[j]) / self.std[j])
    }
    pub fn inverse(&self, u: &Code) -> Code {
        std::array::from_fn(|j| u[j] * self.std[j] + self.mean[j])
    }
}
// ANCHOR_END: standardize

/// What the digit experiment measured, and the digits the figures show.
pub struct Outcome {
    pub budget: Budget,
    pub classifier_accuracy: f64,
    /// The classifier on held-out real digits, on pure noise, and on the
    /// two models' samples.
    pub real: Verdict,
    pub noise: Verdict,
    pub pixel: Verdict,
    pub latent: Verdict,
    /// The autoencoder's round trip on held-out digits: its reconstructions
    /// judged by the classifier (the ceiling of latent diffusion).
    pub reconstructed: Verdict,
    pub pixel_samples: Vec<Digit>,
    pub latent_samples: Vec<Digit>,
    /// x_T, ..., x_0 of the pixel model's DDIM path for its first
    /// [`PATHS`] samples (not clamped).
    pub pixel_path: Vec<Vec<Digit>>,
    pub pixel_loss: f32,
    pub latent_loss: f32,
}

/// Clamps generated pixels to [−1, 1], the data's range.
fn clamp(digits: Vec<Digit>) -> Vec<Digit> {
    digits
        .into_iter()
        .map(|d| d.map(|v| v.clamp(-1.0, 1.0)))
        .collect()
}

// ANCHOR: clip
/// Ho et al.'s clipping, written as a change of prediction: the predicted
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t is clamped to the pixels' range
/// [−1, 1], and ε̂ replaced by the noise that clamped x̂_0 implies,
/// (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t). Any sampler then stays in range.
pub fn clip_prediction(
    s: &Schedule,
    x: &[Digit],
    t: usize,
    eps: Vec<Digit>,
) -> Vec<Digit> {
    let (signal, noise) = (
        s.alpha_bar(t).sqrt() as f32,
        (1.0 - s.alpha_bar(t)).sqrt() as f32,
    );
    x.iter()
        .zip(eps)
        .map(|(x, e)| {
            std::array::from_fn(|i| {
                let x0 = ((x[i] - noise * e[i]) / signal).clamp(-1.0, 1.0);
                (x[i] - signal * x0) / noise
            })
        })
        .collect()
}
// ANCHOR_END: clip

/// Trains the pixel-space denoiser and samples from it with DDIM; returns
/// the samples, the path of the first few, and the final training loss.
fn pixel_diffusion(
    data: &Data,
    schedule: &Schedule,
    budget: Budget,
) -> Result<(Vec<Digit>, Vec<Vec<Digit>>, f32)> {
    let (net, curve): (PixelNet, _) =
        model::train(&data.train, schedule, budget.pixel, SEED + 2)?;
    let eps = |x: &[Digit], t: usize| {
        clip_prediction(schedule, x, t, predict(&net, x, t))
    };
    let mut rng = StdRng::seed_from_u64(SEED + 3);
    let start = gaussian(budget.samples, &mut rng);
    let steps = timesteps(schedule.steps(), budget.sampling_steps);
    let path = ddim(&eps, schedule, &steps, 0.0, start, &mut rng);
    let samples = clamp(path.last().context("empty path")?.clone());
    let shown = path.iter().map(|x| x[..PATHS].to_vec()).collect();
    Ok((samples, shown, *curve.last().context("no training steps")?))
}

// ANCHOR: latent
/// Latent diffusion: encode the training digits, standardise the codes,
/// train the same ε-predictor on them, sample codes with DDIM and decode.
fn latent_diffusion(
    data: &Data,
    ae: &Autoencoder,
    schedule: &Schedule,
    budget: Budget,
) -> Result<(Vec<Digit>, f32)> {
    let codes = encode(ae, &data.train);
    let scale = Standardize::fit(&codes);
    let scaled: Vec<Code> = codes.iter().map(|z| scale.forward(z)).collect();
    let (net, curve): (LatentNet, _) =
        model::train(&scaled, schedule, budget.latent, SEED + 4)?;
    let eps = |u: &[Code], t: usize| predict(&net, u, t);
    let mut rng = StdRng::seed_from_u64(SEED + 5);
    let start = gaussian(budget.samples, &mut rng);
    let steps = timesteps(schedule.steps(), budget.sampling_steps);
    let path = ddim(&eps, schedule, &steps, 0.0, start, &mut rng);
    let sampled = path.last().context("empty path")?;
    let codes: Vec<Code> = sampled.iter().map(|u| scale.inverse(u)).collect();
    let loss = *curve.last().context("no training steps")?;
    Ok((decode(ae, &codes), loss))
}
// ANCHOR_END: latent

/// Pure noise shaped as digits: N(0, I) clamped to [−1, 1].
fn noise_digits(n: usize) -> Vec<Digit> {
    clamp(gaussian(n, &mut StdRng::seed_from_u64(SEED + 6)))
}

/// Runs the digit experiment: the pixel model on one thread; the
/// classifier, the autoencoder and the latent model on the other.
pub fn run(budget: Budget, schedule: &Schedule) -> Result<Outcome> {
    let data = data()?;
    let (pixel, rest) = dudl::parallel::both(
        || pixel_diffusion(&data, schedule, budget),
        || -> Result<_> {
            let classifier = train_classifier(&data, budget.classifier)?;
            let ae = train_autoencoder(&data, budget.autoencoder)?;
            let latent = latent_diffusion(&data, &ae, schedule, budget)?;
            Ok((classifier, ae, latent))
        },
    );
    let (pixel_samples, pixel_path, pixel_loss) = pixel?;
    let (classifier, ae, (latent_samples, latent_loss)) = rest?;
    let held_out = &data.test[..budget.samples.min(data.test.len())];
    let reconstructions = decode(&ae, &encode(&ae, held_out));
    Ok(Outcome {
        budget,
        classifier_accuracy: accuracy(&classifier, &data),
        real: judge(&classifier, held_out),
        noise: judge(&classifier, &noise_digits(budget.samples)),
        pixel: judge(&classifier, &pixel_samples),
        latent: judge(&classifier, &latent_samples),
        reconstructed: judge(&classifier, &reconstructions),
        pixel_samples,
        latent_samples,
        pixel_path,
        pixel_loss,
        latent_loss,
    })
}

/// Multiply-adds of training an MLP with layer widths `widths` for
/// `budget`: each step multiplies every weight matrix by the batch three
/// times (the forward pass and the two products of the backward pass).
pub fn training_macs(widths: &[usize], budget: model::Budget) -> f64 {
    let per_row: usize = widths.windows(2).map(|w| w[0] * w[1]).sum();
    3.0 * (budget.batch * budget.steps * per_row) as f64
}

/// Training compute of pixel-space diffusion, in multiply-adds.
pub fn pixel_macs(budget: &Budget) -> f64 {
    let widths = [PIXELS + EMBED, 256, 256, 256, PIXELS];
    training_macs(&widths, budget.pixel)
}

/// Training compute of latent diffusion (the autoencoder and the latent
/// denoiser), in multiply-adds.
pub fn latent_macs(budget: &Budget) -> f64 {
    let autoencoder = [PIXELS, 256, LATENT, 256, PIXELS];
    let denoiser = [LATENT + EMBED, 256, 256, 256, LATENT];
    training_macs(&autoencoder, budget.autoencoder)
        + training_macs(&denoiser, budget.latent)
}
