//! Activation functions a = f(z) and their derivatives f′(z), written out by hand.
//!
//! GELU is the tanh approximation, the one dfdx calls `FastGeLU` (PyTorch's
//! `GELU(approximate="tanh")`); leaky ReLU uses dfdx's default slope α = 0.05.

/// An activation function and its derivative, both of the pre-activation z.
#[derive(Clone, Copy, Debug)]
pub struct Activation {
    pub name: &'static str,
    /// f(z)
    pub f: fn(f64) -> f64,
    /// f′(z)
    pub df: fn(f64) -> f64,
}

impl Activation {
    const fn new(
        name: &'static str,
        f: fn(f64) -> f64,
        df: fn(f64) -> f64,
    ) -> Self {
        Activation { name, f, df }
    }
}

/// The six activations of the chapter, in the order the figure draws them.
pub const ACTIVATIONS: [Activation; 6] = [
    Activation::new("sigmoid", sigmoid, sigmoid_prime),
    Activation::new("tanh", f64::tanh, tanh_prime),
    Activation::new("ReLU", relu, relu_prime),
    Activation::new("leaky ReLU", leaky_relu, leaky_relu_prime),
    Activation::new("GELU", gelu, gelu_prime),
    Activation::new("SiLU", silu, silu_prime),
];

// ANCHOR: saturating
/// σ(z) = 1 / (1 + e^(−z))
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// σ′(z) = σ(z) (1 − σ(z)) ≤ 1/4
pub fn sigmoid_prime(z: f64) -> f64 {
    let s = sigmoid(z);
    s * (1.0 - s)
}

/// tanh′(z) = 1 − tanh²(z) ≤ 1
pub fn tanh_prime(z: f64) -> f64 {
    1.0 - z.tanh().powi(2)
}
// ANCHOR_END: saturating

// ANCHOR: rectifiers
/// ReLU(z) = max(0, z)
pub fn relu(z: f64) -> f64 {
    z.max(0.0)
}

/// 1 for z > 0, else 0 (at the kink z = 0 we pick 0, as dfdx does).
pub fn relu_prime(z: f64) -> f64 {
    if z > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The slope of leaky ReLU for z < 0 (dfdx's default).
pub const LEAKY_SLOPE: f64 = 0.05;

/// z for z > 0, else α z
pub fn leaky_relu(z: f64) -> f64 {
    if z > 0.0 {
        z
    } else {
        LEAKY_SLOPE * z
    }
}

/// 1 for z > 0, else α
pub fn leaky_relu_prime(z: f64) -> f64 {
    if z > 0.0 {
        1.0
    } else {
        LEAKY_SLOPE
    }
}
// ANCHOR_END: rectifiers

// ANCHOR: smooth
const GELU_C: f64 = 0.044_715;

/// u(z) = √(2/π) (z + 0.044715 z³), the argument of the tanh in GELU.
fn gelu_inner(z: f64) -> f64 {
    (2.0 / std::f64::consts::PI).sqrt() * (z + GELU_C * z.powi(3))
}

/// GELU(z) ≈ ½ z (1 + tanh u(z))
pub fn gelu(z: f64) -> f64 {
    0.5 * z * (1.0 + gelu_inner(z).tanh())
}

/// ½ (1 + tanh u) + ½ z (1 − tanh² u) u′(z)  (product rule, chain rule)
pub fn gelu_prime(z: f64) -> f64 {
    let t = gelu_inner(z).tanh();
    let inner_prime =
        (2.0 / std::f64::consts::PI).sqrt() * (1.0 + 3.0 * GELU_C * z * z);
    0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * inner_prime
}

/// SiLU(z) = z σ(z)
pub fn silu(z: f64) -> f64 {
    z * sigmoid(z)
}

/// σ(z) + z σ′(z)  (product rule)
pub fn silu_prime(z: f64) -> f64 {
    sigmoid(z) + z * sigmoid_prime(z)
}
// ANCHOR_END: smooth
