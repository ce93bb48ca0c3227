//! Claims: both networks learn two moons, on the quick budget the tests use.

use ch01_fundamentals::autodiff::Tape;
use ch01_fundamentals::exercises::relu_mlp_accuracy;
use ch01_fundamentals::mlp_scratch::moons_mlp;
use ch01_fundamentals::training::{self, minibatches, moons, Budget, BATCH};
use ch01_fundamentals::{train_dfdx, train_scratch, CURVE_WINDOW};

/// The mean loss of the last 50 steps, as the binary prints it (the first 50: `losses[..50]`).
fn final_loss(losses: &[f64]) -> f64 {
    training::final_loss(losses, CURVE_WINDOW)
}

#[test]
fn scratch_and_dfdx_mlps_reach_96_percent_held_out_and_cut_their_loss_eightfold(
) {
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
    for losses in [&scratch.losses, &dfdx.losses] {
        let first = training::final_loss(&losses[..CURVE_WINDOW], CURVE_WINDOW);
        let last = final_loss(losses);
        assert!(
            first > 8.0 * last,
            "the loss fell only from {first} to {last}"
        );
    }
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

#[test]
fn one_training_step_puts_647_nodes_per_example_and_340_more_on_the_tape() {
    let (train, _) = moons();
    let batch = &minibatches(train.len(), 1, 0)[0];
    let mut tape = Tape::new();
    moons_mlp(0).loss_and_grad(&mut tape, &train, batch);
    // Per example: 2 input leaves; per weight a mul and an add (2 × 320);
    // 32 tanh; sigmoid, −y leaf, add, square, running sum (5). Once: the 337
    // parameters, the zero the sum starts from, the 1/B leaf and the mean.
    let per_example = 2 + 2 * (2 * 16 + 16 * 16 + 16) + 32 + 5;
    assert_eq!(per_example, 647);
    assert_eq!(tape.len(), BATCH * per_example + 337 + 3);
}
