//! The optimal discriminator and the Jensen–Shannon divergence, on 1-D
//! Gaussians where every integral is a sum on a fine grid.

use crate::game::{sigmoid, softplus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// A 1-D Gaussian `N(mean, std²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaussian {
    pub mean: f64,
    pub std: f64,
}

impl Gaussian {
    /// The density at `x`.
    pub fn pdf(&self, x: f64) -> f64 {
        let z = (x - self.mean) / self.std;
        (-0.5 * z * z).exp() / (self.std * (2.0 * std::f64::consts::PI).sqrt())
    }

    /// `ln p(x)`.
    pub fn log_pdf(&self, x: f64) -> f64 {
        let z = (x - self.mean) / self.std;
        -0.5 * z * z - (self.std * (2.0 * std::f64::consts::PI).sqrt()).ln()
    }

    /// `n` samples, seeded.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                self.mean + self.std * rng.sample::<f64, _>(StandardNormal)
            })
            .collect()
    }
}

/// The data of the 1-D experiment.
pub const DATA: Gaussian = Gaussian {
    mean: 0.0,
    std: 1.0,
};
/// The fixed generator of the 1-D experiment.
pub const GENERATOR: Gaussian = Gaussian {
    mean: 1.5,
    std: 0.6,
};

// ANCHOR: optimal_d
/// `D*(x) = p_data(x) / (p_data(x) + p_g(x))`, the discriminator that
/// maximises the value for a fixed generator.
pub fn optimal_discriminator(data: Gaussian, fake: Gaussian, x: f64) -> f64 {
    let (p, q) = (data.pdf(x), fake.pdf(x));
    p / (p + q)
}

/// The logit of `D*`: `ln p_data(x) − ln p_g(x)`, finite where `D*`
/// rounds to 0 or 1.
pub fn optimal_logit(data: Gaussian, fake: Gaussian, x: f64) -> f64 {
    data.log_pdf(x) - fake.log_pdf(x)
}
// ANCHOR_END: optimal_d

/// `∫ f(x) dx` by the midpoint rule on `[−20, 20]` with 200,000 cells: far
/// beyond every Gaussian the chapter uses, so the truncation is negligible.
pub fn integrate(f: impl Fn(f64) -> f64) -> f64 {
    const LOW: f64 = -20.0;
    const CELLS: usize = 200_000;
    let width = 40.0 / CELLS as f64;
    (0..CELLS)
        .map(|i| f(LOW + (i as f64 + 0.5) * width))
        .sum::<f64>()
        * width
}

/// `x ln(x / y)`, with the limit 0 at `x = 0`.
fn x_ln_ratio(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        x * (x / y).ln()
    } else {
        0.0
    }
}

// ANCHOR: jsd
/// `JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m)` with `m = (p + q)/2`, in nats.
pub fn jensen_shannon(p: Gaussian, q: Gaussian) -> f64 {
    integrate(|x| {
        let (px, qx) = (p.pdf(x), q.pdf(x));
        let mx = 0.5 * (px + qx);
        0.5 * x_ln_ratio(px, mx) + 0.5 * x_ln_ratio(qx, mx)
    })
}

/// The game's value `V(D, G) = E_data[ln D(x)] + E_g[ln(1 − D(x))]`, for
/// the discriminator with logit `logit(x)`: `ln D = −softplus(−ℓ)` and
/// `ln(1 − D) = −softplus(ℓ)`.
pub fn value(
    data: Gaussian,
    fake: Gaussian,
    logit: impl Fn(f64) -> f64,
) -> f64 {
    integrate(|x| {
        let l = logit(x);
        -data.pdf(x) * softplus(-l) - fake.pdf(x) * softplus(l)
    })
}
// ANCHOR_END: jsd

// ANCHOR: quadratic_d
/// A discriminator whose logit is quadratic, `ℓ(x) = w₀ + w₁x + w₂x²`: the
/// log-ratio of two Gaussian densities is quadratic, so this small model
/// can represent `D*` exactly, and training shows whether it finds it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QuadraticD {
    pub w: [f64; 3],
}

impl QuadraticD {
    pub fn logit(&self, x: f64) -> f64 {
        self.w[0] + self.w[1] * x + self.w[2] * x * x
    }

    pub fn prob(&self, x: f64) -> f64 {
        sigmoid(self.logit(x))
    }

    /// Mean loss `−ln D(real) − ln(1 − D(fake))` over the two samples and
    /// its gradient: `(D − y)·(1, x, x²)`, the cross-entropy gradient.
    pub fn loss_and_grad(&self, real: &[f64], fake: &[f64]) -> (f64, [f64; 3]) {
        let (mut loss, mut grad) = (0.0, [0.0; 3]);
        for (xs, label) in [(real, 1.0), (fake, 0.0)] {
            for &x in xs {
                let logit = self.logit(x);
                let sign = 2.0 * label - 1.0;
                loss += softplus(-sign * logit) / xs.len() as f64;
                let error = (sigmoid(logit) - label) / xs.len() as f64;
                for (g, feature) in grad.iter_mut().zip([1.0, x, x * x]) {
                    *g += error * feature;
                }
            }
        }
        (loss, grad)
    }
}
// ANCHOR_END: quadratic_d

/// What training the discriminator against the fixed generator gives.
pub struct TrainedD {
    pub d: QuadraticD,
    /// `(step, loss)` every 50 steps.
    pub curve: Vec<(usize, f64)>,
}

// ANCHOR: train_d
/// Trains a [`QuadraticD`] by full-batch gradient descent on `n` samples
/// of each distribution.
pub fn train_discriminator(n: usize, steps: usize, seed: u64) -> TrainedD {
    let real = DATA.sample(n, seed);
    let fake = GENERATOR.sample(n, seed + 1);
    let (mut d, mut curve) = (QuadraticD::default(), Vec::new());
    const LEARNING_RATE: f64 = 0.5;
    for step in 0..=steps {
        let (loss, grad) = d.loss_and_grad(&real, &fake);
        if step % 50 == 0 {
            curve.push((step, loss));
        }
        for (w, g) in d.w.iter_mut().zip(grad) {
            *w -= LEARNING_RATE * g;
        }
    }
    TrainedD { d, curve }
}
// ANCHOR_END: train_d

/// The grid on which the trained D is compared with `D*`.
pub fn grid() -> Vec<f64> {
    (0..=120).map(|i| -3.0 + 0.05 * i as f64).collect()
}

/// `max |D(x) − D*(x)|` on [`grid`].
pub fn max_gap_to_optimal(d: &QuadraticD) -> f64 {
    grid()
        .into_iter()
        .map(|x| (d.prob(x) - optimal_discriminator(DATA, GENERATOR, x)).abs())
        .fold(0.0, f64::max)
}
