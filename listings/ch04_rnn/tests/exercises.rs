//! The exercise solutions do what the exercises ask.

use ch04_rnn::adding::{sample, INPUTS};
use ch04_rnn::cells::{GruCell, LstmCell};
use ch04_rnn::exercises::{
    cell_state_gradient, linear_gradient_norms, lstm_parameters,
};
use ch04_rnn::Dev;
use ch04_rnn::HIDDEN;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

#[test]
fn lstm_parameter_count_matches_dfdx() {
    let dev = Dev::seed_from_u64(0);
    let lstm = LstmCell::<INPUTS, HIDDEN>::build(&dev);
    let gru = GruCell::<INPUTS, HIDDEN>::build(&dev);
    assert_eq!(lstm_parameters(INPUTS, HIDDEN), lstm.num_trainable_params());
    assert_eq!(lstm_parameters(INPUTS, HIDDEN), 1216);
    // The GRU has three affine maps where the LSTM has four.
    assert_eq!(
        4 * gru.num_trainable_params(),
        3 * lstm.num_trainable_params()
    );
}

#[test]
fn with_zero_recurrent_weights_the_cell_gradient_is_a_product_of_forget_gates()
{
    let dev = Dev::seed_from_u64(5);
    let mut cell =
        LstmCell::<INPUTS, HIDDEN>::build(&dev).with_forget_bias_one();
    for affine in [
        &mut cell.input,
        &mut cell.forget,
        &mut cell.candidate,
        &mut cell.output,
    ] {
        affine.u.weight = dev.zeros();
    }
    let batch = sample::<4>(&dev, &mut StdRng::seed_from_u64(6), 12);
    let (autodiff, closed_form) = cell_state_gradient(&cell, &batch.xs);
    for (a, c) in autodiff.iter().zip(&closed_form) {
        assert!((a - c).abs() <= 1e-6 * c.abs().max(1e-3), "{a} vs {c}");
    }
    assert!(closed_form.iter().all(|&g| g > 0.0));
}

#[test]
fn with_recurrent_weights_the_product_of_forget_gates_is_not_the_whole_gradient(
) {
    let dev = Dev::seed_from_u64(5);
    let cell = LstmCell::<INPUTS, HIDDEN>::build(&dev).with_forget_bias_one();
    let batch = sample::<4>(&dev, &mut StdRng::seed_from_u64(6), 12);
    let (autodiff, closed_form) = cell_state_gradient(&cell, &batch.xs);
    let gap = autodiff
        .iter()
        .zip(&closed_form)
        .map(|(a, c)| (a - c).abs() / c.abs())
        .fold(0.0f32, f32::max);
    assert!(
        gap > 1e-3,
        "the paths through h should add to the gradient: {gap}"
    );
}

#[test]
fn a_linear_rnn_scales_the_gradient_by_rho_per_step() {
    for radius in [0.9, 1.1] {
        let norms = linear_gradient_norms::<HIDDEN>(radius, 50, 7);
        for (k, norm) in norms.iter().enumerate() {
            let expected = radius.powi(k as i32);
            assert!(
                (norm - expected).abs() <= 1e-9 * expected,
                "k = {k}: {norm}"
            );
        }
    }
    // 0.9⁵⁰ ≈ 5e-3, 1.1⁵⁰ ≈ 117.
    assert!(linear_gradient_norms::<HIDDEN>(0.9, 50, 7)[50] < 6e-3);
    assert!(linear_gradient_norms::<HIDDEN>(1.1, 50, 7)[50] > 100.0);
}
