//! Solutions to the chapter's exercises.

use crate::gaussian::log_normal;
use crate::pca::{mean_and_covariance, Pca};
use anyhow::Result;
use dudl::data::mnist::PIXELS;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

// ANCHOR: kl_general
/// Exercise 1: `KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²))` in one dimension,
/// `ln(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½`.
pub fn kl_gaussians(mu1: f64, sigma1: f64, mu2: f64, sigma2: f64) -> f64 {
    (sigma2 / sigma1).ln()
        + (sigma1 * sigma1 + (mu1 - mu2).powi(2)) / (2.0 * sigma2 * sigma2)
        - 0.5
}
// ANCHOR_END: kl_general

/// The same divergence by Monte Carlo, from `samples` draws of `z ∼ q`.
pub fn kl_gaussians_monte_carlo(
    (mu1, sigma1): (f64, f64),
    (mu2, sigma2): (f64, f64),
    samples: usize,
    seed: u64,
) -> f64 {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..samples)
        .map(|_| {
            let eps: f64 = StandardNormal.sample(&mut rng);
            let z = mu1 + sigma1 * eps;
            log_normal(z, mu1, sigma1) - log_normal(z, mu2, sigma2)
        })
        .sum::<f64>()
        / samples as f64
}

// ANCHOR: discarded
/// Exercise 2: PCA's squared reconstruction error per image on its own
/// training set, `(1/N) Σ ‖x − x̂‖²`, next to the variance it discards,
/// `tr C − (λ₁ + … + λ_k)`. Returns `(error, discarded)`.
pub fn error_and_discarded_variance(
    images: &[[f32; PIXELS]],
    k: usize,
) -> Result<(f64, f64)> {
    let pca = Pca::fit(images, k)?;
    let error = pca.reconstruction_error(images) * PIXELS as f64;
    let (_, cov) = mean_and_covariance(images);
    let trace: f64 = (0..PIXELS).map(|i| cov[i * PIXELS + i]).sum();
    Ok((error, trace - pca.variances.iter().sum::<f64>()))
}
// ANCHOR_END: discarded
