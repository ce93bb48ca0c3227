//! The from-scratch optimizers equal dfdx's.

use ch02_optimization::agree::{max_difference, pairs};
use ch02_optimization::task::split;

#[test]
fn from_scratch_optimizers_equal_dfdx_within_1e_6_over_100_steps() {
    let data = split().unwrap().train;
    for mut pair in pairs() {
        let diff = max_difference(pair.dfdx, pair.scratch.as_mut(), &data, 100)
            .unwrap();
        println!("{:<40} max |Δθ| = {diff:e}", pair.name);
        assert!(diff <= 1e-6, "{}: {diff}", pair.name);
    }
}
