//! Claims: through 10 sigmoid layers the error signal ‖Δ⁽ˡ⁾‖ shrinks by more
//! than 10⁵, losing a factor of 3 to 8 at every layer; through 10 ReLU layers
//! with He initialisation it stays within a factor of 2, layer by layer too.

use ch01_fundamentals::deep_delta_norms;
use ch01_fundamentals::gradient_flow::{
    per_layer_factors, shrink_factor, DEPTH,
};

#[test]
fn sigmoid_stack_shrinks_the_error_signal_over_1e5x_relu_stack_within_2x() {
    let (sigmoid, relu) = deep_delta_norms();
    assert_eq!(sigmoid.len(), DEPTH, "one norm per hidden layer");
    let (s, r) = (shrink_factor(&sigmoid), shrink_factor(&relu));
    assert!(s > 1e5, "sigmoid shrinks only {s}x");
    assert!((0.5..2.0).contains(&r), "ReLU changes the signal {r}x");
    for factor in per_layer_factors(&relu) {
        assert!((0.5..2.0).contains(&factor), "ReLU layer: {factor}x");
    }
}

#[test]
fn sigmoid_error_signal_shrinks_3_to_8x_at_every_layer() {
    let (sigmoid, _) = deep_delta_norms();
    for (l, factor) in per_layer_factors(&sigmoid).into_iter().enumerate() {
        assert!(
            (3.0..8.0).contains(&factor),
            "layer {} to {}: {factor}x",
            l + 2,
            l + 1
        );
    }
}
