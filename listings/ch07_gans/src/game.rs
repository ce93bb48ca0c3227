//! The minimax game's pieces: the discriminator's logit `ℓ`, its probability
//! `D = σ(ℓ)`, and the two generator losses.

/// The logistic sigmoid `σ(ℓ) = 1 / (1 + e^{−ℓ})`, stable for large `|ℓ|`.
pub fn sigmoid(logit: f64) -> f64 {
    if logit >= 0.0 {
        1.0 / (1.0 + (-logit).exp())
    } else {
        let e = logit.exp();
        e / (1.0 + e)
    }
}

/// `softplus(ℓ) = ln(1 + e^ℓ)`, stable for large `|ℓ|`.
pub fn softplus(logit: f64) -> f64 {
    logit.max(0.0) + (-logit.abs()).exp().ln_1p()
}

// ANCHOR: generator_losses
/// The saturating generator loss `ln(1 − D) = −softplus(ℓ)`, which the
/// generator minimises in the original minimax game.
pub fn saturating_loss(logit: f64) -> f64 {
    -softplus(logit)
}

/// The non-saturating loss `−ln D = softplus(−ℓ)`.
pub fn non_saturating_loss(logit: f64) -> f64 {
    softplus(-logit)
}

/// `∂/∂ℓ ln(1 − σ(ℓ)) = −σ(ℓ)`: tiny when D rejects the fake (ℓ ≪ 0).
pub fn saturating_grad(logit: f64) -> f64 {
    -sigmoid(logit)
}

/// `∂/∂ℓ (−ln σ(ℓ)) = −σ(−ℓ)`: close to −1 when D rejects the fake.
pub fn non_saturating_grad(logit: f64) -> f64 {
    -sigmoid(-logit)
}
// ANCHOR_END: generator_losses
