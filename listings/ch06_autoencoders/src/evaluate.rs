//! Running trained models over a whole image set, batch by batch, without
//! a tape: codes, reconstructions, errors, ELBOs and class probabilities.

use crate::gaussian::{gaussian_kl, reparameterize, softplus};
use crate::models::{Autoencoder, Classifier, LinearAe, Vae};
use crate::train::{batch, BATCH};
use crate::Dev;
use dfdx::prelude::*;
use dudl::data::mnist::{CLASSES, PIXELS};

/// Applies `f` to consecutive batches of `images` (a multiple of [`BATCH`])
/// and concatenates the rows it returns.
pub fn map_batches<const W: usize>(
    images: &[[f32; PIXELS]],
    mut f: impl FnMut(Tensor<Rank2<BATCH, PIXELS>, f32, Dev>) -> Vec<f32>,
) -> Vec<[f32; W]> {
    let dev = Dev::default();
    let indices: Vec<usize> = (0..images.len()).collect();
    let mut rows = Vec::with_capacity(images.len());
    for chunk in indices.chunks_exact(BATCH) {
        let values = f(batch(&dev, images, chunk));
        for row in values.chunks_exact(W) {
            rows.push(row.try_into().expect("chunks_exact gives W values"));
        }
    }
    rows
}

/// Mean squared error per pixel between `images` and `reconstructions`.
pub fn mse(images: &[[f32; PIXELS]], reconstructions: &[[f32; PIXELS]]) -> f64 {
    let total: f64 = images
        .iter()
        .zip(reconstructions)
        .flat_map(|(x, r)| x.iter().zip(r))
        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
        .sum();
    total / (images.len() * PIXELS) as f64
}

/// The linear autoencoder's reconstructions.
pub fn linear_reconstructions<const K: usize>(
    ae: &LinearAe<K>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; PIXELS]> {
    map_batches(images, |x| ae.forward(x).as_vec())
}

/// The autoencoder's codes `(N, L)`.
pub fn codes<const L: usize>(
    ae: &Autoencoder<L>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; L]> {
    map_batches(images, |x| ae.0.forward(x).as_vec())
}

/// The autoencoder's reconstructions.
pub fn reconstructions<const L: usize>(
    ae: &Autoencoder<L>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; PIXELS]> {
    map_batches(images, |x| ae.forward(x).sigmoid().as_vec())
}

/// The VAE's posterior means `μ(x)` `(N, L)`.
pub fn posterior_means<const L: usize>(
    vae: &Vae<L>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; L]> {
    map_batches(images, |x| vae.encode(x).0.as_vec())
}

/// The VAE's posterior variances `σ²(x)` `(N, L)`.
pub fn posterior_variances<const L: usize>(
    vae: &Vae<L>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; L]> {
    map_batches(images, |x| vae.encode(x).1.exp().as_vec())
}

/// The VAE's reconstructions: the decoder's pixel means at `z = μ(x)`.
pub fn vae_reconstructions<const L: usize>(
    vae: &Vae<L>,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; PIXELS]> {
    map_batches(images, |x| vae.decode(vae.encode(x).0).sigmoid().as_vec())
}

/// Decoded pixel means `sigmoid(decoder(z))` of the codes `z`.
pub fn decode<const L: usize>(
    vae: &Vae<L>,
    z: &[[f32; L]],
) -> Vec<[f32; PIXELS]> {
    let dev = Dev::default();
    z.chunks(BATCH)
        .flat_map(|chunk| {
            let mut data: Vec<f32> = chunk.iter().flatten().copied().collect();
            data.resize(BATCH * L, 0.0);
            let z = dev.tensor_from_vec(data, (Const::<BATCH>, Const::<L>));
            let pixels = vae.decode(z).sigmoid().as_vec();
            pixels
                .chunks_exact(PIXELS)
                .take(chunk.len())
                .map(|p| p.try_into().expect("PIXELS values"))
                .collect::<Vec<[f32; PIXELS]>>()
        })
        .collect()
}

// ANCHOR: elbo
/// The ELBO of every image in nats, `E_q ln p(x | z) − KL(q ‖ p)`, with the
/// expectation estimated from one reparameterized sample (seeded `dev`).
/// Returns `[ELBO, reconstruction term, KL]` per image.
pub fn elbo<const L: usize>(
    vae: &Vae<L>,
    images: &[[f32; PIXELS]],
    dev: &Dev,
) -> Vec<[f32; 3]> {
    map_batches(images, |x| {
        let (mean, log_var) = vae.encode(x.clone());
        let kl = gaussian_kl(mean.clone(), log_var.clone());
        let z = reparameterize(mean, log_var, dev.sample_normal());
        let logits = vae.decode(z);
        // ln p(x | z) = Σ x ln σ(l) + (1 − x) ln(1 − σ(l))
        //            = Σ x l − softplus(l)
        let log_lik = (x * logits.clone() - softplus(logits))
            .sum::<Rank1<BATCH>, Axis<1>>();
        let (log_lik, kl) = (log_lik.as_vec(), kl.as_vec());
        log_lik
            .iter()
            .zip(&kl)
            .flat_map(|(&r, &k)| [r - k, r, k])
            .collect()
    })
}
// ANCHOR_END: elbo

/// The classifier's class probabilities for `images` (any count).
pub fn class_probabilities(
    classifier: &Classifier,
    images: &[[f32; PIXELS]],
) -> Vec<[f32; CLASSES]> {
    let mut padded = images.to_vec();
    padded.resize(images.len().div_ceil(BATCH) * BATCH, [0.0; PIXELS]);
    let mut probabilities: Vec<[f32; CLASSES]> = map_batches(&padded, |x| {
        classifier.forward(x).softmax::<Axis<1>>().as_vec()
    });
    probabilities.truncate(images.len());
    probabilities
}
