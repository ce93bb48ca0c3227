//! The exercise solutions do what the exercises ask.

use ch10_lora::exercises::{adapter_share, first_gradients};

#[test]
fn a_rank_8_adapter_on_a_4096_square_layer_trains_0_39_percent_of_it() {
    let (adapter, weight, share) = adapter_share(4096, 4096, 8);
    assert_eq!((adapter, weight), (65_536, 16_777_216));
    assert!((share - 1.0 / 256.0).abs() < 1e-15, "{share}");
}

#[test]
fn with_a_and_b_both_zero_neither_gets_a_gradient() {
    assert_eq!(first_gradients(true, 9), (0.0, 0.0));
    let (grad_a, grad_b) = first_gradients(false, 9);
    assert_eq!(
        grad_a, 0.0,
        "with B = 0, A's gradient is zero at the first step"
    );
    assert!(grad_b > 1e-3, "but B's is not: {grad_b}");
}
