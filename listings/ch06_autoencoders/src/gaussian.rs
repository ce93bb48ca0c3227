//! The two Gaussian pieces of the VAE that dfdx lacks, the KL divergence to
//! the prior in closed form and the reparameterized sample, and the
//! experiments that check them.

use crate::Dev;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

// ANCHOR: kl
/// `KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − ln σ_j²)` for
/// every row: `(B, L)` means and log-variances → `(B,)` divergences in nats.
pub fn gaussian_kl<const B: usize, const L: usize, T>(
    mean: Tensor<Rank2<B, L>, f32, Dev, T>,
    log_var: Tensor<Rank2<B, L>, f32, Dev, T>,
) -> Tensor<Rank1<B>, f32, Dev, T>
where
    T: Tape<f32, Dev> + Merge<T>,
{
    let var = log_var.with_empty_tape().exp();
    ((mean.square() + var - log_var - 1.0) * 0.5).sum::<Rank1<B>, Axis<1>>()
}
// ANCHOR_END: kl

// ANCHOR: reparameterize
/// `z = μ + σ ⊙ ε` with `σ = exp(½ ln σ²)` and `ε ∼ N(0, I)` drawn outside:
/// the randomness enters as an input, so gradients reach `μ` and `ln σ²`.
pub fn reparameterize<const B: usize, const L: usize, T>(
    mean: Tensor<Rank2<B, L>, f32, Dev, T>,
    log_var: Tensor<Rank2<B, L>, f32, Dev, T>,
    noise: Tensor<Rank2<B, L>, f32, Dev>,
) -> Tensor<Rank2<B, L>, f32, Dev, T>
where
    T: Tape<f32, Dev> + Merge<T>,
{
    mean + (log_var * 0.5).exp() * noise
}
// ANCHOR_END: reparameterize

/// The same divergence for one dimension, in `f64`.
pub fn kl_to_standard_normal(mean: f64, sigma: f64) -> f64 {
    0.5 * (mean * mean + sigma * sigma - 1.0 - (sigma * sigma).ln())
}

/// `ln N(z; mean, sigma²)`.
pub fn log_normal(z: f64, mean: f64, sigma: f64) -> f64 {
    let u = (z - mean) / sigma;
    -0.5 * u * u - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

// ANCHOR: kl_monte_carlo
/// Monte-Carlo `KL(q ‖ p) = E_q[ln q(z) − ln p(z)]` for a diagonal Gaussian
/// `q = N(means, sigmas²)` and `p = N(0, I)`, from `samples` draws of `z`.
pub fn kl_monte_carlo(
    means: &[f64],
    sigmas: &[f64],
    samples: usize,
    seed: u64,
) -> f64 {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut total = 0.0;
    for _ in 0..samples {
        for (&m, &s) in means.iter().zip(sigmas) {
            let eps: f64 = StandardNormal.sample(&mut rng);
            let z = m + s * eps;
            total += log_normal(z, m, s) - log_normal(z, 0.0, 1.0);
        }
    }
    total / samples as f64
}
// ANCHOR_END: kl_monte_carlo

// ANCHOR: estimators
/// One-sample estimates of `d/dμ E_{z∼N(μ,σ²)}[z²]`, whose true value is
/// `2μ`, from the same noise `ε` (`z = μ + σε`).
/// Score function: `f(z) ∂/∂μ ln q(z) = z² (z − μ)/σ²`.
pub fn score_function_estimate(mu: f64, sigma: f64, eps: f64) -> f64 {
    let z = mu + sigma * eps;
    z * z * eps / sigma
}

/// Reparameterization: `∂/∂μ f(μ + σε) = 2(μ + σε)`.
pub fn reparameterization_estimate(mu: f64, sigma: f64, eps: f64) -> f64 {
    2.0 * (mu + sigma * eps)
}
// ANCHOR_END: estimators

// ANCHOR: exact_variances
/// The exact variances of the two estimators above, from the Gaussian
/// moments `E ε² = 1`, `E ε⁴ = 3`, `E ε⁶ = 15`.
pub fn score_function_variance(mu: f64, sigma: f64) -> f64 {
    let (m2, s2) = (mu * mu, sigma * sigma);
    (m2 * m2 + 18.0 * m2 * s2 + 15.0 * s2 * s2) / s2 - 4.0 * m2
}

pub fn reparameterization_variance(sigma: f64) -> f64 {
    4.0 * sigma * sigma
}
// ANCHOR_END: exact_variances

/// Mean and (population) variance of `estimate(μ, σ, ε)` over `samples`
/// standard-normal draws of `ε`.
pub fn sample_moments(
    estimate: fn(f64, f64, f64) -> f64,
    mu: f64,
    sigma: f64,
    samples: usize,
    seed: u64,
) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let values: Vec<f64> = (0..samples)
        .map(|_| estimate(mu, sigma, StandardNormal.sample(&mut rng)))
        .collect();
    let mean = values.iter().sum::<f64>() / samples as f64;
    let var =
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / samples as f64;
    (mean, var)
}

// ANCHOR: softplus
/// `softplus(l) = ln(1 + eˡ)`, computed as `max(l, 0) + ln(1 + e^{−|l|})`
/// so that no exponential overflows.
pub fn softplus<S: Shape, T>(
    l: Tensor<S, f32, Dev, T>,
) -> Tensor<S, f32, Dev, T>
where
    T: Tape<f32, Dev> + Merge<T>,
{
    let positive = l.with_empty_tape().relu();
    positive + (l.abs().negate().exp() + 1.0).ln()
}
// ANCHOR_END: softplus
