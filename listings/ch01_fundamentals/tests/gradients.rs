//! Claims: the tape computes the gradients of the chain rule, and scratch, dfdx and finite
//! differences agree on the MLP.

use ch01_fundamentals::activations::{sigmoid, sigmoid_prime};
use ch01_fundamentals::autodiff::Tape;
use ch01_fundamentals::check::gradient_check;
use ch01_fundamentals::exercises::exp;
use ch01_fundamentals::neuron::{neuron_by_hand, neuron_on_tape};
use dudl::gradcheck::{max_error, numerical_gradient};
use dudl::Dev;

#[test]
fn worked_neuron_example_has_the_numbers_the_text_quotes() {
    // w = 0.8, b = −0.5, x = 1.5, y = 1: every row of the chapter's table, to 6 decimals.
    let close = |value: f64, quoted: f64| (value - quoted).abs() < 5e-7;
    let z = 0.8 * 1.5 - 0.5;
    let a = sigmoid(z);
    assert!(close(z, 0.7) && close(a, 0.668188), "z {z}, a {a}");
    assert!(close(2.0 * (a - 1.0), -0.663624));
    assert!(close(sigmoid_prime(z), 0.221713));
    let g = neuron_by_hand(0.8, -0.5, 1.5, 1.0);
    assert!(close(g.loss, 0.110099), "{g:?}");
    assert!(close(g.grad_b, -0.147134), "{g:?}"); // = ∂L/∂z
    assert!(close(g.grad_w, -0.220701), "{g:?}");
}

#[test]
fn neuron_gradient_by_hand_equals_the_tape_and_finite_differences() {
    for &(w, b, x, y) in &[
        (0.8, -0.5, 1.5, 1.0),
        (-1.2, 0.3, 0.7, 0.0),
        (2.0, 1.0, -2.5, 1.0),
    ] {
        let by_hand = neuron_by_hand(w, b, x, y);
        let on_tape = neuron_on_tape(w, b, x, y);
        let loss = |p: &[f64]| neuron_by_hand(p[0], p[1], x, y).loss;
        let numerical = numerical_gradient(loss, &[w, b], 1e-5);
        let hand = [by_hand.grad_w, by_hand.grad_b];
        assert!(max_error(&hand, &[on_tape.grad_w, on_tape.grad_b]) < 1e-12);
        assert!(
            max_error(&hand, &numerical) < 1e-8,
            "{hand:?} vs {numerical:?}"
        );
        assert!((by_hand.loss - on_tape.loss).abs() < 1e-12);
    }
}

/// f(x, y) = tanh(x·y + σ(x)) · relu(y), through every op of the tape.
fn composite(tape: &mut Tape, x: f64, y: f64) -> (f64, [f64; 2]) {
    let (xv, yv) = (tape.leaf(x), tape.leaf(y));
    let xy = tape.mul(xv, yv);
    let s = tape.sigmoid(xv);
    let sum = tape.add(xy, s);
    let t = tape.tanh(sum);
    let r = tape.relu(yv);
    let f = tape.mul(t, r);
    tape.backward(f);
    (tape.value(f), [tape.grad(xv), tape.grad(yv)])
}

#[test]
fn every_op_of_the_tape_matches_finite_differences() {
    // (0.5, −0.4) puts ReLU on its zero branch: no gradient reaches y there.
    for &(x, y) in &[(0.3, 1.7), (-1.1, 0.4), (2.0, 2.5), (0.5, -0.4)] {
        let (_, grad) = composite(&mut Tape::new(), x, y);
        let numerical = numerical_gradient(
            |p| composite(&mut Tape::new(), p[0], p[1]).0,
            &[x, y],
            1e-5,
        );
        assert!(
            max_error(&grad, &numerical) < 1e-8,
            "{grad:?} vs {numerical:?}"
        );
    }
}

#[test]
fn scratch_gradients_match_finite_differences_to_1e_8_and_dfdx_to_1e_6() {
    let check = gradient_check(&Dev::default()).unwrap();
    assert!(check.scratch_vs_numerical < 1e-8, "{check:?}");
    assert!(check.dfdx_vs_scratch < 1e-6, "{check:?}");
}

#[test]
fn exercise_exp_op_matches_finite_differences() {
    // f(x) = x · e^x, f'(x) = (1 + x) e^x
    let f = |x: f64| {
        let mut tape = Tape::new();
        let xv = tape.leaf(x);
        let e = exp(&mut tape, xv);
        let out = tape.mul(xv, e);
        tape.backward(out);
        (tape.value(out), tape.grad(xv))
    };
    for x in [-2.0, -0.5, 0.0, 0.7, 1.9] {
        let (value, grad) = f(x);
        assert!((value - x * f64::exp(x)).abs() < 1e-12);
        assert!((grad - (1.0 + x) * f64::exp(x)).abs() < 1e-12);
        let numerical = numerical_gradient(|p| f(p[0]).0, &[x], 1e-5);
        assert!(max_error(&[grad], &numerical) < 1e-8);
    }
}
