//! Gradient descent and momentum on quadratics: the claims of the theory.

use ch02_optimization::quadratic::*;
use ch02_optimization::{L, MU, TOL};

#[test]
fn gd_converges_below_step_2_over_lambda_max_and_diverges_above() {
    let f = Quadratic::diagonal(&[MU, L]);
    let limit = 2.0 / L;
    let below = gradient_descent(&f, &[1.0, 1.0], 0.99 * limit, 2000);
    let above = gradient_descent(&f, &[1.0, 1.0], 1.01 * limit, 2000);
    println!(
        "{:e} {:e}",
        norm(below.last().unwrap()),
        norm(above.last().unwrap())
    );
    assert!(norm(below.last().unwrap()) < 1e-6);
    assert!(norm(above.last().unwrap()) > 1e6);
}

#[test]
fn heavy_ball_needs_about_sqrt_kappa_times_fewer_iterations_than_best_gd() {
    let f = Quadratic::diagonal(&[MU, L]);
    let (alpha, rho_gd) = best_gd(MU, L);
    let gd =
        iterations_to(&gradient_descent(&f, &[1.0, 1.0], alpha, 5000), TOL)
            .unwrap();
    let (alpha, beta, rho) = best_heavy_ball(MU, L);
    let hb =
        iterations_to(&heavy_ball(&f, &[1.0, 1.0], alpha, beta, 5000), TOL)
            .unwrap();
    let (gd_theory, hb_theory) = predicted_iterations(MU, L, TOL);
    let ratio = gd as f64 / hb as f64;
    let theory = gd_theory as f64 / hb_theory as f64;
    println!("gd {gd} ({gd_theory}), hb {hb} ({hb_theory}), ratio {ratio} theory {theory}, asymptotic {}", rho.ln() / rho_gd.ln());
    assert!((ratio / theory - 1.0).abs() < 0.1);
}

#[test]
fn quadratic_gradient_matches_finite_differences() {
    let f = Quadratic::rotated(MU, 20.0, 0.7);
    let x = [0.3, -1.2];
    let numeric = dudl::gradcheck::numerical_gradient(|v| f.value(v), &x, 1e-5);
    assert!(dudl::gradcheck::max_error(&f.grad(&x), &numeric) < 1e-8);
}
