//! Solutions to the chapter's exercises.

// ANCHOR: parameters
/// Exercise 1. Trainable numbers in an LSTM cell with `inputs` inputs and `hidden` units:
/// four affine maps (input, forget and output gates, candidate), each with `W`
/// `(H × I)`, `U` `(H × H)` and a bias `b` of `H`.
pub fn lstm_parameters(inputs: usize, hidden: usize) -> usize {
    4 * (hidden * inputs + hidden * hidden + hidden)
}
// ANCHOR_END: parameters
