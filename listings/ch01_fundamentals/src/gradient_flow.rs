//! How large the gradient is at each layer of a deep network at initialisation.
//!
//! Backpropagation multiplies the error signal Δ⁽ˡ⁾ = ∂L/∂Z⁽ˡ⁾ by σ′(z) ≤ 1/4
//! at every sigmoid layer, so after L layers it has shrunk by up to 4^(−L);
//! ReLU's derivative is 1 wherever the unit is active, and He initialisation
//! keeps the signal's size from layer to layer.

use crate::backprop::{backprop, Matrix};
use crate::mlp_scratch::{Hidden, Mlp};
use dudl::data::Points2d;

/// Hidden layers of the deep networks.
pub const DEPTH: usize = 10;
/// Units per hidden layer.
pub const WIDTH: usize = 32;

/// A network of [`DEPTH`] hidden layers of [`WIDTH`] units: LeCun initialisation (gain 1)
/// for sigmoid and tanh, He initialisation (gain √2) for ReLU.
pub fn deep_mlp(hidden: Hidden, seed: u64) -> Mlp {
    let mut sizes = vec![2];
    sizes.extend([WIDTH; DEPTH]);
    sizes.push(1);
    let gain = if hidden == Hidden::Relu {
        2f64.sqrt()
    } else {
        1.0
    };
    Mlp::new(&sizes, hidden, gain, seed)
}

// ANCHOR: delta_norms
/// ‖Δ⁽ˡ⁾‖ = ‖∂L/∂Z⁽ˡ⁾‖ for every hidden layer l = 1, …, L (input side
/// first), on the examples `batch` of `data`: the error signal itself, not
/// the weight gradient Δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾, which also scales with the layer's input.
pub fn delta_norms(mlp: &Mlp, data: &Points2d, batch: &[usize]) -> Vec<f64> {
    let hidden = mlp.sizes.len() - 2;
    let deltas = backprop(mlp, data, batch).deltas;
    deltas[..hidden].iter().map(Matrix::norm).collect()
}
// ANCHOR_END: delta_norms

/// How many times smaller the first hidden layer's error signal is than the
/// last one's: ‖Δ⁽ᴸ⁾‖ / ‖Δ⁽¹⁾‖.
pub fn shrink_factor(norms: &[f64]) -> f64 {
    norms[norms.len() - 1] / norms[0]
}

/// How many times smaller each layer's error signal is than the next one's
/// (towards the output): ‖Δ⁽ˡ⁺¹⁾‖ / ‖Δ⁽ˡ⁾‖ for l = 1, …, L − 1.
pub fn per_layer_factors(norms: &[f64]) -> Vec<f64> {
    norms.windows(2).map(|pair| pair[1] / pair[0]).collect()
}
