//! Debugging like a researcher: overfit one batch first, and watch the size of each update
//! against the size of the weights.

use crate::optimizers::Optimizer;
use crate::task::{self, Mlp, MlpArch, Set};
use crate::Dev;
use dfdx::prelude::*;

/// Seed of the network the checks start from.
pub const SEED: u64 = 24;

// ANCHOR: one_batch
/// Trains the small MLP with `opt` on the first `batch` training images, the
/// same batch every step; returns the loss of every step. A network that
/// cannot drive this loss to ~0 has a bug, not a generalization problem.
pub fn overfit_one_batch(
    opt: &mut dyn Optimizer,
    data: &Set,
    batch: usize,
    steps: usize,
) -> Vec<f64> {
    let dev = Dev::seed_from_u64(SEED);
    let mut model: Mlp = dev.build_module::<MlpArch, f32>();
    let mut theta = task::parameters(&model);
    let indices: Vec<usize> = (0..batch.min(data.len())).collect();
    let (x, y) = data.batch(&dev, &indices);
    (0..steps)
        .map(|_| {
            let (loss, grads) =
                task::loss_and_grads(&mut model, x.clone(), y.clone());
            opt.step(&mut theta, &task::gradient(&model, &grads));
            task::set_parameters(&mut model, &theta);
            loss
        })
        .collect()
}
// ANCHOR_END: one_batch

// ANCHOR: update_ratio
/// The update-to-weight ratio `‖Δ W_l‖ / ‖W_l‖` of each of the small MLP's
/// three weight matrices, averaged over the first `steps` steps of `opt`.
pub fn update_ratios(
    opt: &mut dyn Optimizer,
    data: &Set,
    steps: usize,
) -> [f64; 3] {
    let dev = Dev::seed_from_u64(SEED);
    let mut model: Mlp = dev.build_module::<MlpArch, f32>();
    let mut theta = task::parameters(&model);
    let mut sums = [0.0; 3];
    for step in 0..steps {
        let indices: Vec<usize> =
            (0..32).map(|i| (32 * step + i) % data.len()).collect();
        let (x, y) = data.batch(&dev, &indices);
        let (_, grads) = task::loss_and_grads(&mut model, x, y);
        let before = theta.clone();
        opt.step(&mut theta, &task::gradient(&model, &grads));
        task::set_parameters(&mut model, &theta);
        for (l, range) in weight_ranges().into_iter().enumerate() {
            let norm = |v: &[f32]| {
                v.iter().map(|a| (*a as f64).powi(2)).sum::<f64>().sqrt()
            };
            let delta: Vec<f32> = theta[range.clone()]
                .iter()
                .zip(&before[range.clone()])
                .map(|(a, b)| a - b)
                .collect();
            sums[l] += norm(&delta) / norm(&before[range]) / steps as f64;
        }
    }
    sums
}
// ANCHOR_END: update_ratio

/// Where each weight matrix sits in θ (ordered as [`task::parameters`]).
fn weight_ranges() -> [std::ops::Range<usize>; 3] {
    use crate::task::{CLASSES, HIDDEN};
    use dudl::data::digits::PIXELS;
    let w1 = PIXELS * HIDDEN;
    let w2 = w1 + HIDDEN;
    let w3 = w2 + HIDDEN * HIDDEN + HIDDEN;
    [0..w1, w2..w2 + HIDDEN * HIDDEN, w3..w3 + HIDDEN * CLASSES]
}
