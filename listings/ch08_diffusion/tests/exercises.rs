//! The exercise: the posterior q(x_{t−1} | x_t, x_0).

use ch08_diffusion::exercises::{posterior, posterior_by_bayes};
use ch08_diffusion::schedule::{step, Schedule};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

#[test]
fn posterior_closed_form_equals_bayes_rule() {
    let s = Schedule::linear(1000, 1e-4, 0.02);
    for t in [2, 10, 500, 1000] {
        let (m1, v1) = posterior(&s, t, 0.7, -1.2);
        let (m2, v2) = posterior_by_bayes(&s, t, 0.7, -1.2);
        assert!((m1 - m2).abs() < 1e-9 && (v1 - v2).abs() < 1e-12, "t={t}");
    }
}

/// Samples (x_{t−1}, x_t) from the chain with x_0 fixed and regresses x_{t−1}
/// on x_t: the slope, intercept and residual variance are the posterior's.
#[test]
fn posterior_matches_a_monte_carlo_regression() {
    let s = Schedule::linear(100, 1e-4, 0.02);
    let (t, x0, n) = (50, 1.0f32, 40_000);
    let ab_prev = s.alpha_bar(t - 1);
    let mut rng = StdRng::seed_from_u64(3);
    let pairs: Vec<(f64, f64)> = (0..n)
        .map(|_| {
            let e: f32 = rng.sample(StandardNormal);
            let prev =
                ab_prev.sqrt() as f32 * x0 + (1.0 - ab_prev).sqrt() as f32 * e;
            let now = step(&s, &[prev], t, &[rng.sample(StandardNormal)])[0];
            (prev as f64, now as f64)
        })
        .collect();
    let mean = |f: &dyn Fn(&(f64, f64)) -> f64| {
        pairs.iter().map(f).sum::<f64>() / n as f64
    };
    let (mp, mn) = (mean(&|p| p.0), mean(&|p| p.1));
    let cov = mean(&|p| (p.0 - mp) * (p.1 - mn));
    let var_now = mean(&|p| (p.1 - mn).powi(2));
    let slope = cov / var_now;
    let intercept = mp - slope * mn;
    let residual = mean(&|p| (p.0 - intercept - slope * p.1).powi(2));
    // μ̃ is linear in x_t: read its slope and intercept at x_t = 0 and 1.
    let (at0, var) = posterior(&s, t, 0.0, x0 as f64);
    let (at1, _) = posterior(&s, t, 1.0, x0 as f64);
    assert!((slope - (at1 - at0)).abs() < 0.01, "slope {slope}");
    assert!((intercept - at0).abs() < 0.01, "intercept {intercept}");
    assert!(
        (residual / var - 1.0).abs() < 0.03,
        "variance {residual} vs {var}"
    );
}

/// Exercise 3: under the short schedule x_T keeps √ᾱ_T = 0.6 of the data's
/// mean, which sampling from N(0, I) does not have.
#[test]
fn short_schedule_x_t_keeps_six_tenths_of_the_data_mean() {
    use ch08_diffusion::experiment::{data, diffuse, Schedules};
    let short = Schedules::new().short;
    let (train, _) = data();
    let x_t = diffuse(&short, &train, short.steps(), 9);
    let mean = |points: &[[f32; 2]], i: usize| {
        points.iter().map(|p| p[i] as f64).sum::<f64>() / points.len() as f64
    };
    let keep = short.alpha_bar(short.steps()).sqrt();
    assert!((keep - 0.6).abs() < 0.01, "√ᾱ_T = {keep}");
    for i in 0..2 {
        let (data_mean, noised) = (mean(&train, i), mean(&x_t, i));
        assert!((noised - keep * data_mean).abs() < 0.03, "coordinate {i}");
    }
    assert!((mean(&train, 0) - 1.0).abs() < 0.05);
    assert!((mean(&train, 1) - 0.5).abs() < 0.05);
}
