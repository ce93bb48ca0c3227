//! Claims: each derivative formula is right (finite differences), each activation is the one
//! dfdx computes, and the sigmoid's slope never exceeds 1/4.

use ch01_fundamentals::activations::{
    gelu_prime, sigmoid_prime, silu_prime, ACTIVATIONS, LEAKY_SLOPE,
};
use ch01_fundamentals::exercises::sigmoid_prime_by_quotient_rule;
use dfdx::prelude::*;
use dudl::gradcheck::{max_error, numerical_gradient};

/// 401 points evenly spaced in [−6, 6].
fn grid() -> Vec<f64> {
    (0..401).map(|i| -6.0 + 12.0 * i as f64 / 400.0).collect()
}

#[test]
fn each_derivative_matches_finite_differences_on_401_points() {
    let h = 1e-5;
    for act in ACTIVATIONS {
        // Skip the kink of ReLU and leaky ReLU at 0, where no derivative exists.
        let points: Vec<f64> =
            grid().into_iter().filter(|z| z.abs() > 2.0 * h).collect();
        assert!(points.len() >= 400);
        for z in points {
            let numerical = numerical_gradient(|p| (act.f)(p[0]), &[z], h);
            let err = max_error(&[(act.df)(z)], &numerical);
            assert!(err < 1e-8, "{}'({z}) is off by {err}", act.name);
        }
    }
}

type Grid = Tensor<Rank1<401>, f32, Cpu>;
type Traced = Tensor<Rank1<401>, f32, Cpu, OwnedTape<f32, Cpu>>;
/// An activation built from dfdx's ops, on a traced tensor.
type DfdxOp = fn(Traced) -> Traced;

#[test]
fn activations_and_derivatives_match_dfdx() {
    let dev = Cpu::default();
    let zs: Vec<f32> = grid().iter().map(|&z| z as f32).collect();
    let dfdx_ops: [(&str, DfdxOp); 6] = [
        ("sigmoid", |t| t.sigmoid()),
        ("tanh", |t| t.tanh()),
        ("ReLU", |t| t.relu()),
        ("leaky ReLU", |t| t.prelu(LEAKY_SLOPE as f32)),
        ("GELU", |t| t.fast_gelu()),
        ("SiLU", |t| {
            let s = t.with_empty_tape().sigmoid();
            t * s
        }),
    ];
    for (act, (name, op)) in ACTIVATIONS.iter().zip(dfdx_ops) {
        assert_eq!(act.name, name);
        let z: Grid = dev.tensor_from_vec(zs.clone(), (Const,));
        let a = op(z.leaky_trace());
        let values = a.as_vec();
        let grads = a.sum().backward();
        let slopes = grads.get(&z).as_vec();
        for (i, &zf) in zs.iter().enumerate() {
            if zf == 0.0 && name.contains("ReLU") {
                continue;
            }
            let z = zf as f64;
            assert!(
                ((act.f)(z) - values[i] as f64).abs() < 1e-5,
                "{name}({z})"
            );
            assert!(
                ((act.df)(z) - slopes[i] as f64).abs() < 1e-5,
                "{name}'({z})"
            );
        }
    }
}

#[test]
fn sigmoid_slope_peaks_at_one_quarter_at_zero() {
    let peak = grid().into_iter().map(sigmoid_prime).fold(0.0, f64::max);
    assert_eq!(peak, 0.25);
    assert_eq!(sigmoid_prime(0.0), 0.25);
    assert!(grid().into_iter().all(|z| sigmoid_prime(z) <= 0.25));
}

#[test]
fn exercise_quotient_rule_gives_sigma_times_one_minus_sigma() {
    for z in grid() {
        assert!(
            (sigmoid_prime_by_quotient_rule(z) - sigmoid_prime(z)).abs()
                < 1e-15,
            "at {z}"
        );
    }
}

#[test]
fn gelu_and_silu_slopes_dip_below_0_and_overshoot_1() {
    for (name, slope, low, high) in [
        ("GELU", gelu_prime as fn(f64) -> f64, -0.13, 1.13),
        ("SiLU", silu_prime, -0.10, 1.10),
    ] {
        let min = grid().into_iter().map(slope).fold(f64::INFINITY, f64::min);
        let max = grid()
            .into_iter()
            .map(slope)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((min - low).abs() < 0.005, "{name}' dips to {min}");
        assert!((max - high).abs() < 0.005, "{name}' peaks at {max}");
    }
}
