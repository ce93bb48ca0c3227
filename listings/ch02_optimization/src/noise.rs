//! The noise of a minibatch gradient, and how it shrinks with the batch size.

use crate::task::{self, Mlp, MlpArch, Set};
use crate::Dev;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::SeedableRng;

// ANCHOR: noise
/// `E ‖g_B − g‖²`: the mean squared distance between the gradient of `draws`
/// random minibatches of `batch` images (drawn without replacement) and the
/// full-batch gradient `g` of `data`, at the small MLP's initialization.
pub fn gradient_noise(
    data: &Set,
    batch: usize,
    draws: usize,
    seed: u64,
) -> f64 {
    let dev = Dev::seed_from_u64(seed);
    let mut model: Mlp = dev.build_module::<MlpArch, f32>();
    let mut gradient_of = |indices: &[usize]| {
        let (x, y) = data.batch(&dev, indices);
        let (_, grads) = task::loss_and_grads(&mut model, x, y);
        task::gradient(&model, &grads)
    };
    let full = gradient_of(&(0..data.len()).collect::<Vec<_>>());
    let mut rng = StdRng::seed_from_u64(seed);
    let total: f64 = (0..draws)
        .map(|_| {
            let indices = sample(&mut rng, data.len(), batch).into_vec();
            let g = gradient_of(&indices);
            g.iter()
                .zip(&full)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>()
        })
        .sum();
    total / draws as f64
}
// ANCHOR_END: noise

/// What sampling theory predicts for `E ‖g_B − g‖²` relative to batch size 1:
/// `(1/B) (N − B)/(N − 1)`.
pub fn predicted_noise_ratio(n: usize, batch: usize) -> f64 {
    (n - batch) as f64 / ((n - 1) as f64 * batch as f64)
}
