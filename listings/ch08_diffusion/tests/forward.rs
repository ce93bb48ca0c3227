//! The forward process and the schedules.

use ch08_diffusion::experiment::Schedules;
use ch08_diffusion::schedule::{noisy, step, Schedule};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Draws and the tolerance the text states for the Monte-Carlo check.
const DRAWS: usize = 20_000;
const TOLERANCE: f64 = 0.03;

#[test]
fn markov_chain_samples_match_closed_form_mean_and_variance() {
    let s = Schedule::linear(1000, 1e-4, 0.02);
    let x0 = [1.5f32, -0.5];
    let mut rng = StdRng::seed_from_u64(1);
    for t in [10, 300, 1000] {
        let mut sum = [0.0f64; 2];
        let mut sq = [0.0f64; 2];
        for _ in 0..DRAWS {
            let mut x = x0.to_vec();
            for k in 1..=t {
                let eps: Vec<f32> =
                    (0..2).map(|_| rng.sample(StandardNormal)).collect();
                x = step(&s, &x, k, &eps);
            }
            for i in 0..2 {
                sum[i] += x[i] as f64;
                sq[i] += (x[i] as f64).powi(2);
            }
        }
        let ab = s.alpha_bar(t);
        for i in 0..2 {
            let mean = sum[i] / DRAWS as f64;
            let var = sq[i] / DRAWS as f64 - mean * mean;
            let want = ab.sqrt() * x0[i] as f64;
            assert!(
                (mean - want).abs() < TOLERANCE,
                "t={t}: mean {mean} vs {want}"
            );
            assert!((var - (1.0 - ab)).abs() < TOLERANCE, "t={t}: var {var}");
        }
    }
}

#[test]
fn closed_form_draw_has_mean_sqrt_alpha_bar_x0_and_variance_one_minus_alpha_bar(
) {
    let s = Schedule::cosine(1000);
    let mut rng = StdRng::seed_from_u64(2);
    let t = 500;
    let draws: Vec<f32> = (0..DRAWS)
        .map(|_| noisy(&s, &[2.0], t, &[rng.sample(StandardNormal)])[0])
        .collect();
    let mean = draws.iter().map(|&x| x as f64).sum::<f64>() / DRAWS as f64;
    let var = draws
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / DRAWS as f64;
    let ab = s.alpha_bar(t);
    assert!((mean - 2.0 * ab.sqrt()).abs() < TOLERANCE);
    assert!((var - (1.0 - ab)).abs() < TOLERANCE);
}

#[test]
fn alpha_bar_t_is_below_1e_3_for_the_schedules_used() {
    let s = Schedules::new();
    assert!(s.linear.alpha_bar(s.linear.steps()) < 1e-3);
    assert!(s.cosine.alpha_bar(s.cosine.steps()) < 1e-3);
}

#[test]
fn short_linear_schedule_keeps_a_third_of_the_signal_variance() {
    let s = Schedules::new();
    assert!(s.short.alpha_bar(s.short.steps()) > 0.3);
}

#[test]
fn cosine_schedule_decreases_from_one_to_zero() {
    let s = Schedule::cosine(1000);
    assert_eq!(s.alpha_bar(0), 1.0);
    assert!(s.alpha_bar.windows(2).all(|w| w[1] < w[0]));
    // Slower start than linear: more steps at high signal-to-noise.
    let linear = Schedule::linear(1000, 1e-4, 0.02);
    assert!(s.alpha_bar(250) > linear.alpha_bar(250));
}
