//! Finite-difference gradient checking.
//!
//! The central difference
//! $\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$
//! has error $O(h^2)$; computed in `f64` with $h \approx 10^{-5}$ it agrees with an exact
//! gradient to about $10^{-8}$, so it can judge hand-written and framework gradients alike.

/// The central-difference gradient of `f` at `x`, one coordinate at a time, with step `h`.
pub fn numerical_gradient(mut f: impl FnMut(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    let mut probe = x.to_vec();
    (0..x.len())
        .map(|i| {
            probe[i] = x[i] + h;
            let above = f(&probe);
            probe[i] = x[i] - h;
            let below = f(&probe);
            probe[i] = x[i];
            (above - below) / (2.0 * h)
        })
        .collect()
}

/// The largest absolute difference `max_i |a_i - b_i|`: for comparing two computations of the
/// same values (a kernel and its reference) where an absolute tolerance is meant.
///
/// Panics when the lengths differ: comparing tensors of different shapes is a bug.
pub fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "values of different lengths");
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// The largest error between two gradients, `|a_i - b_i| / max(1, |a_i|, |b_i|)`: absolute
/// for small entries, relative for large ones.
///
/// Panics when the lengths differ: comparing gradients of different shapes is a bug.
pub fn max_error(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "gradients of different lengths");
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs() / 1f64.max(a.abs()).max(b.abs()))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_difference_matches_an_exact_gradient() {
        // f(x, y) = x² y + sin y, ∇f = (2xy, x² + cos y).
        let f = |v: &[f64]| v[0] * v[0] * v[1] + v[1].sin();
        let (x, y) = (1.3, -0.7);
        let exact = [2.0 * x * y, x * x + f64::cos(y)];
        let numeric = numerical_gradient(f, &[x, y], 1e-5);
        assert!(max_error(&exact, &numeric) < 1e-8);
    }

    #[test]
    fn absolute_difference_is_the_largest_gap() {
        assert_eq!(
            max_abs_difference(&[1.0, -2.0, 3.0], &[1.5, -2.0, 1.0]),
            2.0
        );
        assert_eq!(max_abs_difference(&[], &[]), 0.0);
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        let f = |v: &[f64]| v[0].powi(3);
        let wrong = [2.0]; // d/dx x³ at 1 is 3
        assert!(max_error(&wrong, &numerical_gradient(f, &[1.0], 1e-5)) > 0.3);
    }
}
