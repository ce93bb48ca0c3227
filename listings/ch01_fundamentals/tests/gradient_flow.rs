//! Claims: through 10 sigmoid layers the gradient shrinks by more than 10⁴, losing a factor of
//! 3 to 8 at every layer; through 10 ReLU layers with He initialisation it stays within a
//! factor of 10.

use ch01_fundamentals::deep_gradient_norms;
use ch01_fundamentals::gradient_flow::{
    per_layer_factors, shrink_factor, DEPTH,
};

#[test]
fn sigmoid_stack_shrinks_the_gradient_over_10_000x_relu_stack_less_than_10x() {
    let (sigmoid, relu) = deep_gradient_norms();
    assert_eq!(sigmoid.len(), DEPTH + 1);
    let (s, r) = (shrink_factor(&sigmoid), shrink_factor(&relu));
    assert!(s > 1e4, "sigmoid shrinks only {s}x");
    assert!(r < 10.0 && r > 0.1, "ReLU changes the gradient {r}x");
}

#[test]
fn sigmoid_gradient_shrinks_3_to_8x_at_every_layer() {
    let (sigmoid, _) = deep_gradient_norms();
    for (l, factor) in per_layer_factors(&sigmoid).into_iter().enumerate() {
        assert!(
            (3.0..8.0).contains(&factor),
            "layer {} to {}: {factor}x",
            l + 2,
            l + 1
        );
    }
}
