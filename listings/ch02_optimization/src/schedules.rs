//! Learning-rate schedules: functions from the step number to η, and the learning-rate range
//! test.

use std::f64::consts::PI;

// ANCHOR: schedules
/// Step decay: η₀, divided by 10 after half and again after three quarters
/// of the `total` steps.
pub fn step_decay(lr0: f64, step: usize, total: usize) -> f64 {
    let drops = (4 * step / total.max(1)).saturating_sub(1).min(2);
    lr0 * 0.1f64.powi(drops as i32)
}

/// Cosine decay from η₀ at step 0 to 0 at step `total`:
/// `η_t = η₀ · ½ (1 + cos(π t / T))`.
pub fn cosine(lr0: f64, step: usize, total: usize) -> f64 {
    let progress = (step as f64 / total.max(1) as f64).min(1.0);
    lr0 * 0.5 * (1.0 + (PI * progress).cos())
}

/// Linear warm-up: `schedule`'s η scaled by `(t + 1)/W` for the first `W`
/// steps.
pub fn warmup(lr: f64, step: usize, warmup_steps: usize) -> f64 {
    lr * ((step + 1) as f64 / warmup_steps.max(1) as f64).min(1.0)
}
// ANCHOR_END: schedules

// ANCHOR: range
/// The learning rates of a range test: `steps` values growing geometrically
/// from `low` to `high`, `η_k = low · (high/low)^(k/(steps−1))`.
pub fn range_test_rates(low: f64, high: f64, steps: usize) -> Vec<f64> {
    let last = (steps.max(2) - 1) as f64;
    (0..steps)
        .map(|k| low * (high / low).powf(k as f64 / last))
        .collect()
}
// ANCHOR_END: range
