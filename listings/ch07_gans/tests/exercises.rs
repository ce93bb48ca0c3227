//! The exercises' solutions, checked.

use ch07_gans::dirac;
use ch07_gans::exercises::{alternating, jsd_and_slope, step_growth};

#[test]
fn jsd_of_far_apart_gaussians_is_ln_2_with_zero_slope() {
    let (near, near_slope) = jsd_and_slope(1.0);
    let (far, far_slope) = jsd_and_slope(12.0);
    assert!((far - 2f64.ln()).abs() < 1e-6, "JSD {far}");
    assert!(far_slope.abs() < 1e-6, "slope {far_slope}");
    assert!(near < far && near_slope > 0.05, "{near} {near_slope}");
}

#[test]
fn a_simultaneous_step_grows_without_r1_and_shrinks_with_it() {
    let h = dirac::STEP;
    let plain = step_growth(h, 0.0);
    assert!((plain - (1.0 + h * h / 4.0).sqrt()).abs() < 1e-15);
    assert!(plain > 1.0);
    assert!(step_growth(h, dirac::GAMMA) < 1.0);
}

#[test]
fn alternating_steps_neither_diverge_nor_converge() {
    let path = alternating(dirac::START, dirac::STEP, dirac::STEPS);
    let start = dirac::distance(dirac::START);
    for &p in &path {
        let d = dirac::distance(p);
        assert!(d > 0.5 * start && d < 2.0 * start, "distance {d}");
    }
}
