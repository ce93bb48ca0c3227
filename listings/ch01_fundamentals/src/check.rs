//! Four ways to the same gradient: the scratch engine, matrix-form
//! backpropagation, dfdx, and finite differences.

use crate::autodiff::Tape;
use crate::backprop::backprop;
use crate::mlp_dfdx;
use crate::mlp_scratch::moons_mlp;
use crate::training::{minibatches, moons};
use anyhow::Result;
use dudl::gradcheck::{max_error, numerical_gradient};
use dudl::Dev;

/// The largest disagreement between the gradients, in the measure of
/// [`dudl::gradcheck::max_error`]: max over i of |a_i − b_i| / max(1, |a_i|, |b_i|).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientCheck {
    /// Scratch engine (f64) against central differences (f64, h = 1e-5).
    pub scratch_vs_numerical: f64,
    /// dfdx (f32) against the scratch engine.
    pub dfdx_vs_scratch: f64,
    /// Backpropagation in matrix form (f64) against the scratch engine.
    pub matrix_vs_scratch: f64,
}

// ANCHOR: gradient_check
/// Takes the untrained 2-16-16-1 network and one minibatch of two moons,
/// computes ∇θ L for all 337 parameters four ways, and compares.
pub fn gradient_check(dev: &Dev) -> Result<GradientCheck> {
    let (train, _) = moons();
    let mlp = moons_mlp(1);
    let batch = &minibatches(train.len(), 1, 2)[0];
    let (_, scratch) = mlp.loss_and_grad(&mut Tape::new(), &train, batch);

    let mut probe = mlp.clone();
    let loss_at = |theta: &[f64]| {
        probe.theta.copy_from_slice(theta);
        probe.loss_and_grad(&mut Tape::new(), &train, batch).0
    };
    let numerical = numerical_gradient(loss_at, &mlp.theta, 1e-5);

    let model = mlp_dfdx::from_scratch(dev, &mlp)?;
    let (_, dfdx) = mlp_dfdx::loss_and_grad(&model, &train, batch)?;
    let matrix = backprop(&mlp, &train, batch).grad;
    Ok(GradientCheck {
        scratch_vs_numerical: max_error(&scratch, &numerical),
        dfdx_vs_scratch: max_error(&dfdx, &scratch),
        matrix_vs_scratch: max_error(&matrix, &scratch),
    })
}
// ANCHOR_END: gradient_check
