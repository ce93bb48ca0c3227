//! The Gaussian pieces: the closed-form KL, the reparameterized sample,
//! softplus and the two gradient estimators.

use ch06_autoencoders::gaussian::*;
use ch06_autoencoders::Dev;
use ch06_autoencoders::{KL_MEANS, KL_SIGMAS};
use dfdx::prelude::*;
use dudl::gradcheck::{max_abs_difference, numerical_gradient};

#[test]
fn closed_form_kl_matches_monte_carlo_within_0_02_nats() {
    let closed: f64 = KL_MEANS
        .iter()
        .zip(&KL_SIGMAS)
        .map(|(&m, &s)| kl_to_standard_normal(m, s))
        .sum();
    let sampled = kl_monte_carlo(&KL_MEANS, &KL_SIGMAS, 100_000, 11);
    assert!((closed - sampled).abs() < 0.02, "{closed} vs {sampled}");
}

#[test]
fn dfdx_kl_is_the_formula_and_its_gradient_is_checked_by_finite_differences() {
    let dev = Dev::seed_from_u64(0);
    let means = [0.5f32, -1.0, 0.2, 1.5];
    let log_vars = [-0.4f32, 0.8, 0.0, -1.2];
    let mean: Tensor<Rank2<2, 2>, f32, Dev> =
        dev.tensor([[means[0], means[1]], [means[2], means[3]]]);
    let log_var: Tensor<Rank2<2, 2>, f32, Dev> =
        dev.tensor([[log_vars[0], log_vars[1]], [log_vars[2], log_vars[3]]]);
    let kl = gaussian_kl(mean.leaky_trace(), log_var.leaky_trace());
    let rows = kl.array();
    let f64_kl = |m: &[f32], lv: &[f32]| -> f64 {
        m.iter()
            .zip(lv)
            .map(|(&m, &lv)| {
                kl_to_standard_normal(m as f64, (0.5 * lv as f64).exp())
            })
            .sum()
    };
    assert!(
        (rows[0] as f64 - f64_kl(&means[..2], &log_vars[..2])).abs() < 1e-5
    );
    assert!(
        (rows[1] as f64 - f64_kl(&means[2..], &log_vars[2..])).abs() < 1e-5
    );
    let grads = kl.sum().backward();
    let (g_mean, g_log_var) =
        (grads.get(&mean).as_vec(), grads.get(&log_var).as_vec());
    // ∂KL/∂μ = μ and ∂KL/∂ln σ² = ½(σ² − 1), against finite differences
    let params: Vec<f64> =
        means.iter().chain(&log_vars).map(|&v| v as f64).collect();
    let total = |p: &[f64]| -> f64 {
        (0..4)
            .map(|j| 0.5 * (p[j] * p[j] + p[4 + j].exp() - 1.0 - p[4 + j]))
            .sum()
    };
    let numerical = numerical_gradient(total, &params, 1e-6);
    let analytic: Vec<f64> =
        g_mean.iter().chain(&g_log_var).map(|&g| g as f64).collect();
    assert!(
        max_abs_difference(&analytic, &numerical) < 1e-5,
        "{analytic:?} vs {numerical:?}"
    );
}

#[test]
fn reparameterized_sample_passes_gradients_to_mean_and_log_variance() {
    let dev = Dev::seed_from_u64(0);
    let mean: Tensor<Rank2<1, 2>, f32, Dev> = dev.tensor([[0.3, -0.7]]);
    let log_var: Tensor<Rank2<1, 2>, f32, Dev> = dev.tensor([[0.4, -1.0]]);
    let noise: Tensor<Rank2<1, 2>, f32, Dev> = dev.tensor([[1.5, -0.5]]);
    let z = reparameterize(mean.leaky_trace(), log_var.leaky_trace(), noise);
    let values = z.array()[0];
    let grads = z.sum().backward();
    let (g_mean, g_log_var) =
        (grads.get(&mean).array()[0], grads.get(&log_var).array()[0]);
    for (j, (lv, eps)) in
        [(0.4f32, 1.5f32), (-1.0, -0.5)].into_iter().enumerate()
    {
        let sigma = (0.5 * lv).exp();
        assert!((values[j] - ([0.3, -0.7][j] + sigma * eps)).abs() < 1e-6);
        assert!((g_mean[j] - 1.0).abs() < 1e-6); // ∂z/∂μ = 1
        assert!((g_log_var[j] - 0.5 * sigma * eps).abs() < 1e-6); // ∂z/∂ln σ² = ½σε
    }
}

#[test]
fn softplus_is_ln_1_plus_exp_and_does_not_overflow() {
    let dev = Dev::default();
    let l: Tensor<Rank1<5>, f32, Dev> =
        dev.tensor([-30.0, -1.0, 0.0, 2.0, 200.0]);
    let values = softplus(l).array();
    for (v, x) in values.iter().zip([-30.0f64, -1.0, 0.0, 2.0]) {
        assert!((*v as f64 - (1.0 + x.exp()).ln()).abs() < 1e-6);
    }
    // ln(1 + e²⁰⁰) would overflow f32 if computed naively; it is 200
    assert_eq!(values[4], 200.0);
}

#[test]
fn reparameterization_variance_4_is_below_score_function_variance_30() {
    let (mu, sigma) = (1.0, 1.0);
    assert_eq!(score_function_variance(mu, sigma), 30.0);
    assert_eq!(reparameterization_variance(sigma), 4.0);
    let n = 100_000;
    let score = sample_moments(score_function_estimate, mu, sigma, n, 10);
    let reparam = sample_moments(reparameterization_estimate, mu, sigma, n, 10);
    // both are unbiased estimates of 2μ = 2 ...
    assert!((score.0 - 2.0).abs() < 0.1 && (reparam.0 - 2.0).abs() < 0.05);
    // ... and their sample variances are within 5% of the exact ones
    assert!((score.1 / 30.0 - 1.0).abs() < 0.05, "{score:?}");
    assert!((reparam.1 / 4.0 - 1.0).abs() < 0.05, "{reparam:?}");
    assert!(reparam.1 < score.1);
}
