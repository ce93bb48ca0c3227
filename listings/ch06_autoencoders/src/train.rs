//! Training: one Adam loop for every model, fed shuffled batches of images,
//! and the losses each model minimises.

use crate::gaussian::{gaussian_kl, reparameterize};
use crate::models::{Autoencoder, Classifier, LinearAe, Vae};
use crate::Dev;
use anyhow::{anyhow, Result};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::data::mnist::{CLASSES, PIXELS};
use dudl::progress::Progress;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Images per Adam step.
pub const BATCH: usize = 100;

/// A batch of images `(B, 784)`, without or with a gradient tape.
pub type Images<T = NoneTape> = Tensor<Rank2<BATCH, PIXELS>, f32, Dev, T>;
/// The gradient tape.
pub type Tp = OwnedTape<f32, Dev>;
/// A scalar loss on the tape.
pub type Loss = Tensor<Rank0, f32, Dev, Tp>;

/// The images at `indices` as one batch.
pub fn batch(dev: &Dev, images: &[[f32; PIXELS]], indices: &[usize]) -> Images {
    let mut data = Vec::with_capacity(BATCH * PIXELS);
    for &i in indices {
        data.extend_from_slice(&images[i]);
    }
    dev.tensor_from_vec(data, (Const::<BATCH>, Const::<PIXELS>))
}

/// Mean of each logged quantity per epoch.
pub type Curve = Vec<[f64; 2]>;

/// Trains `model` with Adam (`lr`) for `epochs` passes over `images` in
/// shuffled batches. `loss(model, x, x_plain, indices)` gets the batch
/// `x` on the tape and again without it (as a target), and returns the batch
/// loss and two numbers to log (averaged per epoch into the curve).
pub fn fit<M>(
    model: &mut M,
    images: &[[f32; PIXELS]],
    epochs: usize,
    lr: f64,
    seed: u64,
    label: &str,
    mut loss: impl FnMut(&M, Images<Tp>, Images, &[usize]) -> (Loss, [f64; 2]),
) -> Result<Curve>
where
    M: TensorCollection<f32, Dev>,
{
    let dev = Dev::default();
    let mut rng = StdRng::seed_from_u64(seed);
    let config = AdamConfig {
        lr,
        ..Default::default()
    };
    let mut adam = Adam::new(&*model, config);
    let mut grads = model.alloc_grads();
    let mut order: Vec<usize> = (0..images.len()).collect();
    let steps = images.len() / BATCH;
    let mut progress = Progress::new(label, epochs);
    let mut curve = Vec::with_capacity(epochs);
    for epoch in 0..epochs {
        order.shuffle(&mut rng);
        let mut sums = [0.0; 2];
        for indices in order.chunks_exact(BATCH) {
            let x = batch(&dev, images, indices);
            let traced = x.clone().traced(grads);
            let (value, logged) = loss(model, traced, x, indices);
            sums[0] += logged[0] / steps as f64;
            sums[1] += logged[1] / steps as f64;
            grads = value.backward();
            adam.update(model, &grads)
                .map_err(|err| anyhow!("{label}: Adam step failed: {err:?}"))?;
            model.zero_grads(&mut grads);
        }
        curve.push(sums);
        progress.update(epoch + 1, format!("{:.4}", sums[0]));
    }
    progress.finish(format!("{:.4}", curve.last().map_or(0.0, |c| c[0])));
    Ok(curve)
}

// ANCHOR: ae_loss
/// The autoencoder's loss: mean squared error per pixel between `x` and
/// its reconstruction `sigmoid(decoder(encoder(x)))`.
pub fn ae_loss<const L: usize>(
    ae: &Autoencoder<L>,
    x: Images<Tp>,
    target: Images,
) -> Loss {
    let code = ae.0.forward(x);
    let x_hat = ae.1.forward(code).sigmoid();
    mse_loss(x_hat, target)
}
// ANCHOR_END: ae_loss

/// The linear autoencoder's loss: mean squared error of `W_d(W_e x)`.
pub fn linear_ae_loss<const K: usize>(
    ae: &LinearAe<K>,
    x: Images<Tp>,
    target: Images,
) -> Loss {
    mse_loss(ae.forward(x), target)
}

// ANCHOR: vae_loss
/// The negative ELBO of a batch, per image: the reconstruction term
/// `−E_q ln p(x | z)` (Bernoulli cross-entropy summed over the 784 pixels,
/// one sample of `z`) plus `β` times `KL(q(z | x) ‖ N(0, I))`.
/// Returns the loss and the two terms' batch means.
pub fn vae_loss<const L: usize>(
    vae: &Vae<L>,
    x: Images<Tp>,
    target: Images,
    noise: Tensor<Rank2<BATCH, L>, f32, Dev>,
    beta: f32,
) -> (Loss, [f64; 2]) {
    let (mean, log_var) = vae.encode(x);
    let z = reparameterize(
        mean.with_empty_tape(),
        log_var.with_empty_tape(),
        noise,
    );
    let logits = vae.decode(z);
    let reconstruction =
        binary_cross_entropy_with_logits_loss(logits, target) * PIXELS as f32;
    let kl = gaussian_kl(mean, log_var).mean();
    let terms = [reconstruction.array() as f64, kl.array() as f64];
    (reconstruction + kl * beta, terms)
}
// ANCHOR_END: vae_loss

/// The classifier's loss: cross-entropy of its logits against `labels`.
pub fn classifier_loss(
    classifier: &Classifier,
    x: Images<Tp>,
    labels: &[usize],
) -> Loss {
    let dev = x.device().clone();
    let mut one_hot = vec![0.0; BATCH * CLASSES];
    for (row, &label) in labels.iter().enumerate() {
        one_hot[row * CLASSES + label] = 1.0;
    }
    let targets =
        dev.tensor_from_vec(one_hot, (Const::<BATCH>, Const::<CLASSES>));
    cross_entropy_with_logits_loss(classifier.forward(x), targets)
}

// ANCHOR: masking
/// Masking noise: a `(B, 784)` tensor of 0s and 1s that keeps each pixel
/// with probability `1 − drop`. Multiplying a batch by it erases pixels.
pub fn pixel_mask(rng: &mut StdRng, dev: &Dev, drop: f64) -> Images {
    let keep: Vec<f32> = (0..BATCH * PIXELS)
        .map(|_| if rng.gen_bool(drop) { 0.0 } else { 1.0 })
        .collect();
    dev.tensor_from_vec(keep, (Const::<BATCH>, Const::<PIXELS>))
}

/// The denoising autoencoder's loss: the input loses the pixels `mask`
/// erases, the target keeps them.
pub fn denoising_loss<const L: usize>(
    ae: &Autoencoder<L>,
    x: Images<Tp>,
    target: Images,
    mask: Images,
) -> Loss {
    ae_loss(ae, x * mask, target)
}
// ANCHOR_END: masking
