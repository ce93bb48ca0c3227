//! Solutions to the chapter's exercises.

use crate::autodiff::{Tape, Var};
use crate::mlp_scratch::{Hidden, Mlp};
use crate::training::{accuracy, minibatches, moons, Budget};

// ANCHOR: exp_op
/// Exercise 1: e^a as a new op. Its local derivative is the value itself:
/// d/da e^a = e^a.
pub fn exp(tape: &mut Tape, a: Var) -> Var {
    let e = tape.value(a).exp();
    tape.unary(e, a, e)
}
// ANCHOR_END: exp_op

// ANCHOR: sigmoid_prime
/// Exercise 2: σ′(z) straight from the quotient rule,
/// d/dz (1 + e^(−z))^(−1) = e^(−z) / (1 + e^(−z))²,
/// which equals σ(z) (1 − σ(z)) because 1 − σ(z) = e^(−z) / (1 + e^(−z)).
pub fn sigmoid_prime_by_quotient_rule(z: f64) -> f64 {
    let e = (-z).exp();
    e / (1.0 + e).powi(2)
}
// ANCHOR_END: sigmoid_prime

// ANCHOR: relu_mlp
/// Exercise 3: the chapter's 2-16-16-1 network with ReLU hidden units (He
/// initialisation), trained the same way; returns its held-out accuracy.
pub fn relu_mlp_accuracy(budget: Budget) -> f64 {
    let (train, test) = moons();
    let mut mlp = Mlp::new(&[2, 16, 16, 1], Hidden::Relu, 2f64.sqrt(), 1);
    let batches = minibatches(train.len(), budget.steps, 2);
    mlp.train(&train, &batches, budget);
    accuracy(&test, |x| mlp.predict(x))
}
// ANCHOR_END: relu_mlp

// ANCHOR: softmax_jacobian
/// Exercise 4: ∂L/∂z_k by the chain rule through the softmax,
/// Σ_j ∂L/∂p_j · ∂p_j/∂z_k with ∂L/∂p_j = −[j = c]/p_c and
/// ∂p_j/∂z_k = p_j([j = k] − p_k). Only j = c survives the sum.
pub fn cross_entropy_grad_by_chain_rule(
    logits: &[f64],
    class: usize,
) -> Vec<f64> {
    let p = crate::losses::softmax(logits);
    let kronecker = |i: usize, j: usize| if i == j { 1.0 } else { 0.0 };
    (0..logits.len())
        .map(|k| {
            (0..logits.len())
                .map(|j| {
                    let grad_p = -kronecker(j, class) / p[class];
                    grad_p * p[j] * (kronecker(j, k) - p[k])
                })
                .sum()
        })
        .collect()
}
// ANCHOR_END: softmax_jacobian
