//! Solutions to the chapter's exercises.

use crate::adding::INPUTS;
use crate::cells::{Batch, LstmCell};
use crate::exploding::random_orthogonal;
use crate::Dev;
use dfdx::prelude::*;

// ANCHOR: parameters
/// Exercise 1. Trainable numbers in an LSTM cell with `inputs` inputs and
/// `hidden` units: four affine maps (input, forget and output gates,
/// candidate), each with `W` `(H × I)`, `U` `(H × H)` and a bias `b` of `H`.
pub fn lstm_parameters(inputs: usize, hidden: usize) -> usize {
    4 * (hidden * inputs + hidden * hidden + hidden)
}
// ANCHOR_END: parameters

// ANCHOR: cell_state_gradient
/// Exercise 2. For an LSTM whose recurrent weights `U` are all zero, returns
/// dfdx's `∂(Σ h_T)/∂c_0` and the closed form `o_T ⊙ (1 − tanh² c_T) ⊙ f_1 ⊙ …
/// ⊙ f_T`, both `(B, H)` flattened.
pub fn cell_state_gradient<const B: usize, const H: usize>(
    cell: &LstmCell<INPUTS, H>,
    xs: &[Batch<B, INPUTS>],
) -> (Vec<f32>, Vec<f32>) {
    let dev = xs[0].device();
    let c0: Batch<B, H> = dev.zeros();
    let h0: Batch<B, H, OwnedTape<f32, Dev>> =
        dev.zeros().put_tape(Default::default());
    let mut state = (h0, c0.leaky_trace());
    let mut product = vec![1.0f32; B * H];
    let mut output = Vec::new();
    for x in xs {
        let (next, gates) = cell.step(x.clone(), state);
        let forget = gates.forget.as_vec();
        product.iter_mut().zip(&forget).for_each(|(p, f)| *p *= f);
        output = gates.output.as_vec();
        state = next;
    }
    let (h_last, c_last) = state;
    let grads = h_last.sum().backward();
    let squashed = c_last.retaped::<NoneTape>().tanh().as_vec();
    let closed_form = (0..B * H)
        .map(|n| output[n] * (1.0 - squashed[n].powi(2)) * product[n])
        .collect();
    (grads.get(&c0).as_vec(), closed_form)
}
// ANCHOR_END: cell_state_gradient

// ANCHOR: linear_norms
/// Exercise 3. For a *linear* RNN `h_t = U h_{t−1}` with `U = ρ Q` (`Q`
/// orthogonal), the norms `‖(Uᵀ)^k u‖` for `k = 0 … steps` and a unit vector
/// `u`.
pub fn linear_gradient_norms<const H: usize>(
    radius: f64,
    steps: usize,
    seed: u64,
) -> Vec<f64> {
    let u_matrix: Vec<f64> = random_orthogonal::<H>(seed)
        .iter()
        .map(|q| radius * q)
        .collect();
    let mut grad = vec![0.0; H];
    grad[0] = 1.0;
    let mut norms = Vec::with_capacity(steps + 1);
    for _ in 0..=steps {
        norms.push(grad.iter().map(|g| g * g).sum::<f64>().sqrt());
        // Uᵀ grad: column j of U dotted with grad.
        grad = (0..H)
            .map(|j| (0..H).map(|i| u_matrix[i * H + j] * grad[i]).sum())
            .collect();
    }
    norms
}
// ANCHOR_END: linear_norms
