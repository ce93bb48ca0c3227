//! Claims about the generator losses and the optimal discriminator.

use ch07_gans::game::{
    non_saturating_grad, non_saturating_loss, saturating_grad, saturating_loss,
};
use ch07_gans::optimal::{
    self, jensen_shannon, optimal_logit, value, QuadraticD, DATA, GENERATOR,
};
use dudl::gradcheck::numerical_gradient;

fn logits() -> impl Iterator<Item = f64> {
    (-80..=80).map(|i| 0.25 * i as f64)
}

#[test]
fn non_saturating_gradient_exceeds_saturating_by_e_to_minus_logit() {
    for l in logits() {
        let ratio = non_saturating_grad(l) / saturating_grad(l);
        let expected = (-l).exp();
        assert!(
            ((ratio - expected) / expected).abs() < 1e-12,
            "at ℓ = {l}: ratio {ratio}, e^(−ℓ) = {expected}"
        );
    }
}

#[test]
fn generator_loss_gradients_match_finite_differences() {
    for l in logits() {
        let sat = numerical_gradient(|x| saturating_loss(x[0]), &[l], 1e-5)[0];
        let ns =
            numerical_gradient(|x| non_saturating_loss(x[0]), &[l], 1e-5)[0];
        assert!((sat - saturating_grad(l)).abs() < 1e-8, "saturating at {l}");
        assert!((ns - non_saturating_grad(l)).abs() < 1e-8, "NS at {l}");
    }
}

#[test]
fn value_at_the_optimal_discriminator_is_minus_ln_4_plus_twice_jsd() {
    let v = value(DATA, GENERATOR, |x| optimal_logit(DATA, GENERATOR, x));
    let jsd = jensen_shannon(DATA, GENERATOR);
    assert!(
        (v - (-(4f64.ln()) + 2.0 * jsd)).abs() < 1e-9,
        "{v} vs {jsd}"
    );
    let same = jensen_shannon(DATA, DATA);
    assert!(same.abs() < 1e-12, "JSD(p‖p) = {same}");
}

#[test]
fn moving_the_optimal_discriminator_lowers_the_value() {
    let best = value(DATA, GENERATOR, |x| optimal_logit(DATA, GENERATOR, x));
    for shift in [-0.5, -0.05, 0.05, 0.5] {
        let moved = value(DATA, GENERATOR, |x| {
            optimal_logit(DATA, GENERATOR, x) + shift * (1.0 + x)
        });
        assert!(moved < best, "shift {shift}: {moved} ≥ {best}");
    }
}

#[test]
fn quadratic_discriminator_gradient_matches_finite_differences() {
    let real = DATA.sample(50, 1);
    let fake = GENERATOR.sample(50, 2);
    let w = [0.3, -0.7, 0.2];
    let (_, grad) = QuadraticD { w }.loss_and_grad(&real, &fake);
    let numeric = numerical_gradient(
        |w| {
            QuadraticD {
                w: [w[0], w[1], w[2]],
            }
            .loss_and_grad(&real, &fake)
            .0
        },
        &w,
        1e-5,
    );
    let err = dudl::gradcheck::max_abs_difference(&grad, &numeric);
    assert!(err < 1e-8, "gradient error {err}");
}

#[test]
fn trained_discriminator_is_within_0_05_of_optimal_on_the_grid() {
    let (n, steps) = ch07_gans::D_BUDGET;
    let trained = optimal::train_discriminator(n, steps, ch07_gans::SEED);
    let gap = optimal::max_gap_to_optimal(&trained.d);
    assert!(gap < 0.05, "max |D − D*| = {gap}");
    let untrained = optimal::max_gap_to_optimal(&QuadraticD::default());
    assert!(
        untrained > 0.3,
        "an untrained D is already close: {untrained}"
    );
}
