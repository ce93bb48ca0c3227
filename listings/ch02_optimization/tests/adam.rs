//! Adam's first step and its indifference to the scale of the loss, against SGD.

use ch02_optimization::adam_properties::{
    first_step_sizes, max_gap, step_lengths, trajectory,
};
use ch02_optimization::optimizers::{Adam, Sgd, WeightDecay};
use ch02_optimization::task::split;

const LR: f64 = 1e-3;

#[test]
fn adams_first_step_moves_every_parameter_with_a_gradient_by_about_eta() {
    let data = split().unwrap().train;
    let (moved, still) =
        first_step_sizes(&mut Adam::new(LR, WeightDecay::None), &data);
    let (low, high) = moved
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &d| (l.min(d), h.max(d)));
    println!(
        "{} moved by {low:e}..{high:e}, {still} did not move",
        moved.len()
    );
    assert!(low >= 0.95 * LR && high <= 1.0001 * LR);
    // SGD's first step is as uneven as the gradient.
    let (sgd, _) = first_step_sizes(
        &mut Sgd::new(0.1, 0.0, false, WeightDecay::None),
        &data,
    );
    let spread = sgd.iter().copied().fold(0.0, f64::max)
        / sgd.iter().copied().fold(1.0, f64::min);
    assert!(spread > 1e3, "SGD step sizes span only a factor {spread}");
}

#[test]
fn scaling_the_loss_by_1000_leaves_adam_unchanged_and_scales_sgd_steps_1000_times(
) {
    let data = split().unwrap().train;
    let adam = |scale| {
        trajectory(&mut Adam::new(LR, WeightDecay::None), scale, &data, 50)
    };
    let (plain, scaled) = (adam(1.0), adam(1000.0));
    let gap = max_gap(&plain, &scaled);
    let moved = max_gap(&plain[..1], &plain[50..]);
    println!("Adam: trajectories differ by {gap:e}, moved {moved:e}");
    assert!(gap < 0.01 * moved);
    let sgd = |scale| {
        trajectory(
            &mut Sgd::new(0.01, 0.0, false, WeightDecay::None),
            scale,
            &data,
            1,
        )
    };
    let ratio = step_lengths(&sgd(1000.0))[0] / step_lengths(&sgd(1.0))[0];
    assert!(
        (ratio / 1000.0 - 1.0).abs() < 1e-3,
        "SGD step ratio {ratio}"
    );
}
