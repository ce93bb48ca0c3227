//! Solutions to the chapter's exercises.

use crate::optimizers::{Optimizer, Sgd, WeightDecay};
use crate::quadratic::{nesterov, Quadratic};
use crate::schedules::cosine;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

// ANCHOR: nesterov_lookahead
/// Exercise 1. Runs dfdx-style Nesterov SGD (`v ← μv + g`,
/// `θ ← θ − η(g + μv)`) and the look-ahead form on `diag(1, 100)` with
/// `η`, `μ = β`; returns `max_k |θ_k − y_k|`, where
/// `y_k = x_k + β (x_k − x_{k−1})` is the look-ahead point, and
/// `max_k |θ_k − x_k|`.
pub fn nesterov_gap(eta: f64, beta: f64, steps: usize) -> (f64, f64) {
    let f = Quadratic::diagonal(&[1.0, 100.0]);
    let x = nesterov(&f, &[1.0, 1.0], eta, beta, steps);
    let mut sgd = Sgd::new(eta, beta, true, WeightDecay::None);
    let mut theta = vec![1.0f32, 1.0];
    let (mut to_y, mut to_x): (f64, f64) = (0.0, 0.0);
    for k in 1..=steps {
        let at: Vec<f64> = theta.iter().map(|&t| t as f64).collect();
        let g: Vec<f32> = f.grad(&at).iter().map(|&g| g as f32).collect();
        sgd.step(&mut theta, &g);
        for i in 0..2 {
            let y = x[k][i] + beta * (x[k][i] - x[k - 1][i]);
            to_y = to_y.max((theta[i] as f64 - y).abs());
            to_x = to_x.max((theta[i] as f64 - x[k][i]).abs());
        }
    }
    (to_y, to_x)
}
// ANCHOR_END: nesterov_lookahead

// ANCHOR: relu_moment
/// Exercise 2. Monte-Carlo estimate of `E[ReLU(z)²]` for `z ~ N(0, 1)`:
/// half of `E[z²] = 1`, because ReLU zeroes the negative half.
pub fn relu_second_moment(samples: usize, seed: u64) -> f64 {
    let mut rng = StdRng::seed_from_u64(seed);
    let total: f64 = (0..samples)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z.max(0.0).powi(2)
        })
        .sum();
    total / samples as f64
}
// ANCHOR_END: relu_moment

// ANCHOR: warmup_cosine
/// Exercise 3. Linear warm-up from `η₀/W` to `η₀` over the first `W` steps,
/// then cosine decay from `η₀` to 0 over the remaining `T − W`.
pub fn warmup_cosine(
    lr0: f64,
    step: usize,
    warmup: usize,
    total: usize,
) -> f64 {
    if step < warmup {
        lr0 * (step + 1) as f64 / warmup as f64
    } else {
        cosine(lr0, step - warmup, total.saturating_sub(warmup))
    }
}
// ANCHOR_END: warmup_cosine
