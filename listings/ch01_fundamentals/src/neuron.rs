//! One neuron, z = w x + b, a = σ(z), with the squared error
//! L = (a − y)²: its gradient worked by hand with the chain rule, and the same
//! gradient from the tape.

use crate::activations::sigmoid;
use crate::autodiff::Tape;

/// A neuron's loss and its gradient with respect to the weight and the bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronGrad {
    /// L = (a − y)²
    pub loss: f64,
    /// ∂L/∂w
    pub grad_w: f64,
    /// ∂L/∂b
    pub grad_b: f64,
}

// ANCHOR: by_hand
/// The chain rule written out, ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w, each factor
/// computed from the values of the forward pass.
pub fn neuron_by_hand(w: f64, b: f64, x: f64, y: f64) -> NeuronGrad {
    let z = w * x + b; // forward
    let a = sigmoid(z);
    let loss = (a - y).powi(2);
    let grad_a = 2.0 * (a - y); // ∂L/∂a
    let grad_z = grad_a * a * (1.0 - a); // ∂L/∂z = ∂L/∂a · σ'(z)
    NeuronGrad {
        loss,
        grad_w: grad_z * x, // ∂z/∂w = x
        grad_b: grad_z,     // ∂z/∂b = 1
    }
}
// ANCHOR_END: by_hand

// ANCHOR: on_tape
/// The same neuron built on a [`Tape`]; `backward` does the chain rule for us.
pub fn neuron_on_tape(w: f64, b: f64, x: f64, y: f64) -> NeuronGrad {
    let mut tape = Tape::new();
    let (w, b, x) = (tape.leaf(w), tape.leaf(b), tape.leaf(x));
    let minus_y = tape.leaf(-y);
    let wx = tape.mul(w, x);
    let z = tape.add(wx, b);
    let a = tape.sigmoid(z);
    let error = tape.add(a, minus_y);
    let loss = tape.mul(error, error); // (a − y)²: both inputs are `error`
    tape.backward(loss);
    NeuronGrad {
        loss: tape.value(loss),
        grad_w: tape.grad(w),
        grad_b: tape.grad(b),
    }
}
// ANCHOR_END: on_tape
