//! A GAN on the 28×28 digits (MLPs, the DCGAN optimiser recipe), and a small
//! classifier that labels its samples.

use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::data::mnist::{Labelled, CLASSES, PIXELS};
use dudl::progress::Progress;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Latent size, hidden width and batch of the digit GAN.
pub const LATENT: usize = 64;
pub const HIDDEN: usize = 256;
pub const BATCH: usize = 64;
/// Samples the classifier labels.
pub const SAMPLES: usize = 512;

// ANCHOR: digit_models
/// Generator: `z ∈ ℝ⁶⁴` to 784 pixels in (−1, 1).
pub type DigitGenerator = (
    (Linear<LATENT, HIDDEN>, LeakyReLU<f32>),
    (Linear<HIDDEN, HIDDEN>, LeakyReLU<f32>),
    (Linear<HIDDEN, PIXELS>, Tanh),
);
/// Discriminator: 784 pixels to one logit.
pub type DigitDiscriminator = (
    (Linear<PIXELS, HIDDEN>, LeakyReLU<f32>),
    (Linear<HIDDEN, HIDDEN>, LeakyReLU<f32>),
    Linear<HIDDEN, 1>,
);
// ANCHOR_END: digit_models

/// The classifier that labels samples: 784 → 128 → 10.
pub type Classifier = ((Linear<PIXELS, 128>, ReLU), Linear<128, CLASSES>);

type Built<M> = <M as BuildOnDevice<Cpu, f32>>::Built;

/// `BATCH` images from `set` at `indices`, as a tensor with pixels mapped
/// by `pixel`, and their labels.
fn batch(
    dev: &Cpu,
    set: &Labelled,
    indices: &[usize],
    pixel: fn(f32) -> f32,
) -> (Tensor<Rank2<BATCH, PIXELS>, f32, Cpu>, Vec<usize>) {
    let pixels: Vec<f32> = indices
        .iter()
        .flat_map(|&i| set.images[i].iter().map(|&v| pixel(v)))
        .collect();
    let labels = indices.iter().map(|&i| set.labels[i]).collect();
    (dev.tensor_from_vec(pixels, (Const, Const)), labels)
}

/// Trains the classifier for `epochs` on `train`; Adam, batch 64.
pub fn train_classifier(
    train: &Labelled,
    epochs: usize,
    seed: u64,
) -> Built<Classifier> {
    let dev = Cpu::seed_from_u64(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = dev.build_module::<Classifier, f32>();
    let mut opt = Adam::new(&model, AdamConfig::default());
    let mut grads = model.alloc_grads();
    let mut order: Vec<usize> = (0..train.len()).collect();
    for _ in 0..epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks_exact(BATCH) {
            let (x, labels) = batch(&dev, train, chunk, |v| v);
            let mut onehot = vec![0.0f32; BATCH * CLASSES];
            labels
                .iter()
                .enumerate()
                .for_each(|(i, &l)| onehot[i * CLASSES + l] = 1.0);
            let target: Tensor<Rank2<BATCH, CLASSES>, f32, _> =
                dev.tensor_from_vec(onehot, (Const, Const));
            let logits = model.forward(x.trace(grads));
            grads = cross_entropy_with_logits_loss(logits, target).backward();
            opt.update(&mut model, &grads)
                .expect("unused classifier parameter");
            model.zero_grads(&mut grads);
        }
    }
    model
}

/// The classifier's probabilities for each image, `images.len() × 10`.
pub fn classify(
    model: &Built<Classifier>,
    images: &[Vec<f32>],
) -> Vec<[f32; CLASSES]> {
    let dev = model.0 .0.weight.device().clone();
    images
        .iter()
        .map(|image| {
            let x: Tensor<Rank1<PIXELS>, f32, _> =
                dev.tensor_from_vec(image.clone(), (Const,));
            let p = model.forward(x).softmax().as_vec();
            std::array::from_fn(|k| p[k])
        })
        .collect()
}

/// What the digit GAN gives.
pub struct DigitRun {
    /// `SAMPLES` generated images.
    pub samples: Vec<Vec<f32>>,
    /// `(step, discriminator loss, generator loss)`, averaged every 50 steps.
    pub losses: Vec<(usize, f64, f64)>,
}

// ANCHOR: train_digits
/// Trains the digit GAN for `steps` steps: Adam with learning rate `lr`
/// and β₁ = 0.5 for both players, the non-saturating generator loss.
pub fn train_gan(
    train: &Labelled,
    steps: usize,
    lr: f64,
    seed: u64,
) -> DigitRun {
    let dev = Cpu::seed_from_u64(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = dev.build_module::<DigitGenerator, f32>();
    let mut d = dev.build_module::<DigitDiscriminator, f32>();
    let cfg = AdamConfig {
        lr,
        betas: [0.5, 0.999],
        ..Default::default()
    };
    let (mut g_opt, mut d_opt) = (Adam::new(&g, cfg), Adam::new(&d, cfg));
    let (mut g_grads, mut d_grads) = (g.alloc_grads(), d.alloc_grads());
    let (ones, zeros) = (
        dev.ones::<Rank2<BATCH, 1>>(),
        dev.zeros::<Rank2<BATCH, 1>>(),
    );
    // One-sided label smoothing: real images are labelled 0.9, not 1.
    let smooth = dev.ones::<Rank2<BATCH, 1>>() * 0.9;
    let mut order: Vec<usize> = Vec::new();
    let (mut losses, mut sum) = (Vec::new(), (0.0, 0.0));
    let mut progress = Progress::new("digit GAN", steps);
    for step in 1..=steps {
        if order.len() < BATCH {
            order = (0..train.len()).collect();
            order.shuffle(&mut rng);
        }
        let indices = order.split_off(order.len() - BATCH);
        let (real, _) = batch(&dev, train, &indices, |v| 2.0 * v - 1.0);
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let fake = g.forward(z);
        let real_logits = d.forward(real.trace(d_grads));
        let fake_logits = d.forward(fake.trace(d.alloc_grads()));
        let d_loss =
            binary_cross_entropy_with_logits_loss(real_logits, smooth.clone())
                + binary_cross_entropy_with_logits_loss(
                    fake_logits,
                    zeros.clone(),
                );
        sum.0 += d_loss.array() as f64;
        d_grads = d_loss.backward();
        d_opt
            .update(&mut d, &d_grads)
            .expect("unused discriminator parameter");
        d.zero_grads(&mut d_grads);
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let g_loss = binary_cross_entropy_with_logits_loss(
            d.forward(g.forward(z.trace(g_grads))),
            ones.clone(),
        );
        sum.1 += g_loss.array() as f64;
        g_grads = g_loss.backward();
        g_opt
            .update(&mut g, &g_grads)
            .expect("unused generator parameter");
        g.zero_grads(&mut g_grads);
        if step % 50 == 0 {
            losses.push((step, sum.0 / 50.0, sum.1 / 50.0));
            progress.update(step, format!("D {:.2}", sum.0 / 50.0));
            sum = (0.0, 0.0);
        }
    }
    progress.finish(format!("{steps} steps"));
    let z: Tensor<Rank2<SAMPLES, LATENT>, f32, _> = dev.sample_normal();
    let pixels = g.forward(z).as_vec();
    let samples = pixels
        .chunks_exact(PIXELS)
        .map(|c| c.iter().map(|&v| 0.5 * (v + 1.0)).collect())
        .collect();
    DigitRun { samples, losses }
}
// ANCHOR_END: train_digits

/// How the classifier labels a set of images.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelling {
    /// Share of images whose top class has probability ≥ 0.9.
    pub confident: f64,
    /// Images given each class (by the top class).
    pub per_class: [usize; CLASSES],
}

impl Labelling {
    /// Classes given to at least one image.
    pub fn classes_present(&self) -> usize {
        self.per_class.iter().filter(|&&n| n > 0).count()
    }
}

/// The most probable class of one row of probabilities.
pub fn top_class(probs: &[f32; CLASSES]) -> usize {
    (0..CLASSES)
        .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
        .unwrap_or(0)
}

/// Labels `probs` (one row per image).
pub fn labelling(probs: &[[f32; CLASSES]]) -> Labelling {
    let mut per_class = [0; CLASSES];
    let mut confident = 0;
    for p in probs {
        let k = top_class(p);
        per_class[k] += 1;
        if p[k] >= 0.9 {
            confident += 1;
        }
    }
    Labelling {
        confident: confident as f64 / probs.len() as f64,
        per_class,
    }
}
