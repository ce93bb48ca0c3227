//! Losses from likelihoods, and their gradients with respect to the logits.
//!
//! Squared error is the negative log-likelihood of a Gaussian, binary
//! cross-entropy that of a Bernoulli, categorical cross-entropy that of a
//! categorical distribution whose probabilities are the softmax of the logits.

use crate::activations::{sigmoid, sigmoid_prime};

/// The logit of the confidently wrong unit the chapter examines: it gives
/// label 1 a probability of σ(−6) ≈ 0.0025.
pub const CONFIDENT_WRONG_LOGIT: f64 = -6.0;

// ANCHOR: binary
/// Binary cross-entropy of the logit z for a label y ∈ {0, 1}:
/// L = −y ln σ(z) − (1 − y) ln(1 − σ(z)), computed stably as
/// ln(1 + e^z) − y z.
pub fn binary_cross_entropy(z: f64, y: f64) -> f64 {
    let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
    softplus - y * z
}

/// ∂L/∂z of the binary cross-entropy: σ(z) − y. No σ′ factor.
pub fn binary_cross_entropy_grad(z: f64, y: f64) -> f64 {
    sigmoid(z) - y
}

/// ∂L/∂z of the squared error L = (σ(z) − y)²: 2(σ(z) − y) σ′(z).
pub fn squared_error_grad(z: f64, y: f64) -> f64 {
    2.0 * (sigmoid(z) - y) * sigmoid_prime(z)
}
// ANCHOR_END: binary

// ANCHOR: softmax
/// p_k = e^{z_k} / Σ_j e^{z_j}, with the largest logit subtracted
/// first so that no exponential overflows (the result is the same).
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// Categorical cross-entropy L = −ln p_c of the true class c:
/// ln Σ_j e^{z_j} − z_c.
pub fn cross_entropy(logits: &[f64], class: usize) -> f64 {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum: f64 = logits.iter().map(|z| (z - max).exp()).sum::<f64>();
    max + log_sum.ln() - logits[class]
}

/// ∂L/∂z = softmax(z) − onehot(c).
pub fn cross_entropy_grad(logits: &[f64], class: usize) -> Vec<f64> {
    let mut grad = softmax(logits);
    grad[class] -= 1.0;
    grad
}
// ANCHOR_END: softmax
