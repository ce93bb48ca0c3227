//! Claim: through 10 sigmoid layers the gradient shrinks by more than 10⁴; through 10 ReLU
//! layers with He initialisation it stays within a factor of 10.

use ch01_fundamentals::deep_gradient_norms;
use ch01_fundamentals::gradient_flow::{shrink_factor, DEPTH};

#[test]
fn sigmoid_stack_shrinks_the_gradient_over_10_000x_relu_stack_less_than_10x() {
    let (sigmoid, relu) = deep_gradient_norms();
    assert_eq!(sigmoid.len(), DEPTH + 1);
    let (s, r) = (shrink_factor(&sigmoid), shrink_factor(&relu));
    assert!(s > 1e4, "sigmoid shrinks only {s}x");
    assert!(r < 10.0 && r > 0.1, "ReLU changes the gradient {r}x");
    // The sigmoid gradient shrinks at every layer on the way back to the input.
    assert!(
        sigmoid[..DEPTH].windows(2).all(|w| w[0] < w[1]),
        "{sigmoid:?}"
    );
}
