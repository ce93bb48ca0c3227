//! Two properties that set Adam apart from SGD: its first step has size η whatever the
//! gradient, and multiplying the loss by a constant leaves its trajectory unchanged.

use crate::optimizers::Optimizer;
use crate::task::{self, Mlp, MlpArch, Run, Set};
use crate::Dev;
use dfdx::prelude::*;

/// Seed of the network the experiments start from.
pub const SEED: u64 = 22;

// ANCHOR: scaled
/// θ_0, θ_1, …, θ_steps of `opt` on the small MLP when the loss is
/// multiplied by `scale`: the gradient is that of `scale · L`.
pub fn trajectory(
    opt: &mut dyn Optimizer,
    scale: f32,
    data: &Set,
    steps: usize,
) -> Vec<Vec<f32>> {
    let dev = Dev::seed_from_u64(SEED);
    let mut model: Mlp = dev.build_module::<MlpArch, f32>();
    let mut theta = task::parameters(&model);
    let mut path = vec![theta.clone()];
    let run = Run {
        steps,
        batch: 32,
        eval_every: 0,
        seed: SEED,
    };
    for batch in task::minibatches(data.len(), &run) {
        let (x, y) = data.batch(&dev, &batch);
        let logits = model.forward(x.traced(model.alloc_grads()));
        let grads =
            (cross_entropy_with_logits_loss(logits, y) * scale).backward();
        opt.step(&mut theta, &task::gradient(&model, &grads));
        task::set_parameters(&mut model, &theta);
        path.push(theta.clone());
    }
    path
}
// ANCHOR_END: scaled

/// `|θ_1,i − θ_0,i|` for every parameter with a non-zero first gradient, and how many
/// parameters had a gradient of exactly zero (and did not move).
pub fn first_step_sizes(
    opt: &mut dyn Optimizer,
    data: &Set,
) -> (Vec<f64>, usize) {
    let path = trajectory(opt, 1.0, data, 1);
    let moved: Vec<f64> = path[0]
        .iter()
        .zip(&path[1])
        .map(|(a, b)| (b - a).abs() as f64)
        .collect();
    let still = moved.iter().filter(|&&d| d == 0.0).count();
    (moved.into_iter().filter(|&d| d > 0.0).collect(), still)
}

/// The largest `|θ_i − θ'_i|` over every step of two trajectories.
pub fn max_gap(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs() as f64))
        .fold(0.0, f64::max)
}

/// The length of each step, `‖θ_{k+1} − θ_k‖`.
pub fn step_lengths(path: &[Vec<f32>]) -> Vec<f64> {
    path.windows(2)
        .map(|w| {
            w[0].iter()
                .zip(&w[1])
                .map(|(a, b)| ((b - a) as f64).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}
