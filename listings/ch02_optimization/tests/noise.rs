//! Minibatch gradient noise shrinks as 1/B (times the finite-population correction).

use ch02_optimization::experiments::SEED;
use ch02_optimization::noise::{gradient_noise, predicted_noise_ratio};
use ch02_optimization::task::split;

#[test]
fn minibatch_gradient_noise_shrinks_as_one_over_b() {
    let data = split().unwrap().train;
    let one = gradient_noise(&data, 1, 400, SEED);
    for batch in [8, 64] {
        let measured = gradient_noise(&data, batch, 400, SEED) / one;
        let predicted = predicted_noise_ratio(data.len(), batch);
        println!("B = {batch}: {measured:.5} (theory {predicted:.5})");
        assert!((measured / predicted - 1.0).abs() < 0.15);
    }
}
