//! The variance of ReLU pre-activations through depth: ×1 for He, ×½ for Xavier, ×⅙ for
//! dfdx's default.

use ch02_optimization::experiments::SEED;
use ch02_optimization::init::{geometric_mean, variance_gains, Init};

#[test]
fn relu_variance_gain_per_layer_is_1_for_he_half_for_xavier_a_sixth_for_dfdx_default(
) {
    for init in Init::ALL {
        let gain = geometric_mean(&variance_gains::<512, 256>(init, 8, SEED));
        let expected = init.variance_gain();
        println!("{}: gain {gain:.4}, theory {expected:.4}", init.name());
        assert!(
            (gain / expected - 1.0).abs() < 0.1,
            "{}: {gain}",
            init.name()
        );
    }
}
