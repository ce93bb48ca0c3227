//! Claims: the losses' gradients are σ(z) − y and softmax(z) − onehot(c)
//! (finite differences), and a confidently wrong sigmoid unit gets a gradient
//! 1/(2σ′(z)) ≈ 203 times larger from cross-entropy than from squared error.

use ch01_fundamentals::activations::{sigmoid, sigmoid_prime};
use ch01_fundamentals::exercises::cross_entropy_grad_by_chain_rule;
use ch01_fundamentals::losses::{
    binary_cross_entropy, binary_cross_entropy_grad, cross_entropy,
    cross_entropy_grad, softmax, squared_error_grad, CONFIDENT_WRONG_LOGIT,
};
use dudl::gradcheck::{max_error, numerical_gradient};
use dudl::numbers::Numbers;

#[test]
fn binary_cross_entropy_gradient_is_sigma_minus_y() {
    for &z in &[-30.0, -6.0, -0.7, 0.0, 1.3, 8.0, 40.0] {
        for &y in &[0.0, 1.0] {
            let numerical = numerical_gradient(
                |p| binary_cross_entropy(p[0], y),
                &[z],
                1e-5,
            );
            let exact = binary_cross_entropy_grad(z, y);
            assert!(max_error(&[exact], &numerical) < 1e-8, "z {z}, y {y}");
            // −ln σ(z) for y = 1, −ln(1 − σ(z)) for y = 0, without overflow
            let direct = if y == 1.0 {
                -sigmoid(z).ln()
            } else {
                -(1.0 - sigmoid(z)).ln()
            };
            if direct.is_finite() && direct < 30.0 {
                assert!((binary_cross_entropy(z, y) - direct).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn softmax_cross_entropy_gradient_is_softmax_minus_onehot() {
    let logits = [2.0, -1.0, 0.5, 3.0, -4.0, 0.0, 1.0, 7.0, -0.5, 2.5];
    let p = softmax(&logits);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    for (class, p_class) in p.iter().enumerate() {
        let numerical =
            numerical_gradient(|z| cross_entropy(z, class), &logits, 1e-5);
        let exact = cross_entropy_grad(&logits, class);
        assert!(max_error(&exact, &numerical) < 1e-8, "class {class}");
        assert!((cross_entropy(&logits, class) + p_class.ln()).abs() < 1e-12);
    }
    // Shifting every logit by the same amount changes nothing.
    let shifted: Vec<f64> = logits.iter().map(|z| z + 1000.0).collect();
    assert!(max_error(&softmax(&shifted), &p) < 1e-12);
}

#[test]
fn exercise_chain_rule_through_softmax_gives_softmax_minus_onehot() {
    let logits = [0.3, -2.0, 1.7, 0.0];
    for class in 0..logits.len() {
        let by_chain_rule = cross_entropy_grad_by_chain_rule(&logits, class);
        let closed_form = cross_entropy_grad(&logits, class);
        assert!(max_error(&by_chain_rule, &closed_form) < 1e-12);
    }
}

#[test]
fn confidently_wrong_unit_learns_203x_faster_with_cross_entropy() {
    let (z, y) = (CONFIDENT_WRONG_LOGIT, 1.0);
    let (ce, se) = (binary_cross_entropy_grad(z, y), squared_error_grad(z, y));
    // Both push z up (negative gradient); the ratio is 1 / (2σ′(z)).
    assert!(ce < 0.0 && se < 0.0);
    let ratio = ce / se;
    assert!((ratio - 1.0 / (2.0 * sigmoid_prime(z))).abs() < 1e-9);
    assert!(ratio > 200.0, "{ratio}");
    // A unit that is right but unsure (z = 0) sees comparable gradients.
    let unsure = binary_cross_entropy_grad(0.0, y) / squared_error_grad(0.0, y);
    assert!((unsure - 2.0).abs() < 1e-12);
}

#[test]
fn quoted_loss_numbers_are_the_formulas() {
    let mut numbers = Numbers::new();
    let z = CONFIDENT_WRONG_LOGIT;
    numbers.fixed(
        "ratio",
        binary_cross_entropy_grad(z, 1.0) / squared_error_grad(z, 1.0),
        0,
    );
    assert_eq!(numbers.text("ratio").unwrap(), "203");
}
