//! Chapter 1, Fundamentals: a neuron, the chain rule, a scalar autodiff engine, an MLP trained
//! with it, the same MLP in dfdx, and activation functions.
pub mod activations;
pub mod autodiff;
pub mod mlp_dfdx;
pub mod mlp_scratch;
pub mod neuron;
pub mod training;

/// The figures the binary writes into `images/ch01/`.
pub const FIGURES: &[&str] = &[];
