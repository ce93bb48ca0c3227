//! Claims: both networks learn two moons, on the quick budget the tests use.

use ch01_fundamentals::exercises::relu_mlp_accuracy;
use ch01_fundamentals::training::{minibatches, Budget, BATCH};
use ch01_fundamentals::{train_dfdx, train_scratch};

/// The mean loss of the last 50 steps, as the binary prints it.
fn final_loss(losses: &[f64]) -> f64 {
    losses[losses.len() - 50..].iter().sum::<f64>() / 50.0
}

#[test]
fn scratch_and_dfdx_mlps_reach_96_percent_held_out_and_end_at_similar_loss() {
    let budget = Budget::new(true);
    let scratch = train_scratch(budget);
    let dfdx = train_dfdx(budget).unwrap();
    assert!(
        scratch.test_accuracy >= 0.96,
        "scratch: {}",
        scratch.test_accuracy
    );
    assert!(dfdx.test_accuracy >= 0.96, "dfdx: {}", dfdx.test_accuracy);
    let (a, b) = (final_loss(&scratch.losses), final_loss(&dfdx.losses));
    assert!(a < 0.02 && b < 0.02, "final losses {a} {b}");
    assert!(
        (a - b).abs() < 0.1 * a.max(b),
        "final losses {a} {b} differ by more than 10%"
    );
    let first = scratch.losses[..50].iter().sum::<f64>() / 50.0;
    assert!(first > 5.0 * a, "the loss fell only from {first} to {a}");
}

#[test]
fn exercise_relu_mlp_reaches_96_percent_held_out() {
    let accuracy = relu_mlp_accuracy(Budget::new(true));
    assert!(accuracy >= 0.96, "{accuracy}");
}

#[test]
fn minibatches_visit_every_point_once_per_epoch() {
    let batches = minibatches(100, 6, 0); // 6 × 32 = 192 indices: one epoch and most of another
    let first_epoch: Vec<usize> = batches.concat()[..100].to_vec();
    let mut sorted = first_epoch.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    assert!(batches.iter().all(|b| b.len() == BATCH));
    assert_eq!(
        batches,
        minibatches(100, 6, 0),
        "the same seed gives the same batches"
    );
}
