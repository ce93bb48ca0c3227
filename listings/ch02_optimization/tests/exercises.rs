//! The exercise solutions do what the exercises ask.

use ch02_optimization::exercises::{
    nesterov_gap, relu_second_moment, warmup_cosine,
};
use ch02_optimization::quadratic::best_heavy_ball;

#[test]
fn dfdx_nesterov_iterates_are_the_look_ahead_points() {
    let (_, _, rho) = best_heavy_ball(1.0, 100.0);
    let (to_lookahead, to_iterate) = nesterov_gap(0.01, rho, 200);
    assert!(to_lookahead < 1e-5, "max |θ_k − y_k| = {to_lookahead}");
    // θ_k is not x_k: the test can tell the two sequences apart.
    assert!(to_iterate > 1e-2, "max |θ_k − x_k| = {to_iterate}");
}

#[test]
fn relu_halves_the_second_moment_of_a_standard_normal() {
    let moment = relu_second_moment(200_000, 5);
    assert!((moment - 0.5).abs() < 0.005, "E[ReLU(z)²] = {moment}");
}

#[test]
fn warmup_cosine_rises_linearly_then_decays_to_zero() {
    let (lr0, w, t) = (0.1, 10, 100);
    let lr = |s| warmup_cosine(lr0, s, w, t);
    assert!((lr(0) - lr0 / w as f64).abs() < 1e-12);
    assert!((lr(w - 1) - lr0).abs() < 1e-12 && (lr(w) - lr0).abs() < 1e-12);
    assert!((1..w).all(|s| lr(s) > lr(s - 1)));
    assert!((w + 1..=t).all(|s| lr(s) < lr(s - 1)));
    assert!(lr(t).abs() < 1e-12);
}
