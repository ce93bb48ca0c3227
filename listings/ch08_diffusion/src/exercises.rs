//! Solutions to the chapter's exercises.

use crate::schedule::Schedule;

// ANCHOR: posterior
/// The posterior q(x_{t−1} | x_t, x_0) = N(μ̃, β̃) of one coordinate, for
/// t ≥ 2: β̃ = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t and
/// μ̃ = √ᾱ_{t−1} β_t/(1 − ᾱ_t) x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t.
pub fn posterior(s: &Schedule, t: usize, x_t: f64, x0: f64) -> (f64, f64) {
    let (ab, ab_prev, beta) =
        (s.alpha_bar(t), s.alpha_bar(t - 1), s.beta[t - 1]);
    let variance = (1.0 - ab_prev) / (1.0 - ab) * beta;
    let mean = ab_prev.sqrt() * beta / (1.0 - ab) * x0
        + (1.0 - beta).sqrt() * (1.0 - ab_prev) / (1.0 - ab) * x_t;
    (mean, variance)
}
// ANCHOR_END: posterior

/// The same posterior by Bayes' rule, as a product of two Gaussians in
/// x_{t−1}: the prior q(x_{t−1} | x_0) = N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}) times the
/// likelihood q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t). Precisions add.
pub fn posterior_by_bayes(
    s: &Schedule,
    t: usize,
    x_t: f64,
    x0: f64,
) -> (f64, f64) {
    let (ab_prev, beta) = (s.alpha_bar(t - 1), s.beta[t - 1]);
    let alpha = 1.0 - beta;
    let precision = 1.0 / (1.0 - ab_prev) + alpha / beta;
    let weighted =
        ab_prev.sqrt() * x0 / (1.0 - ab_prev) + alpha.sqrt() * x_t / beta;
    (weighted / precision, 1.0 / precision)
}
