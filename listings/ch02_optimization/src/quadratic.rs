//! Gradient descent and momentum on a quadratic `f(x) = ½ xᵀ H x`, where every claim of the
//! theory can be checked exactly: the step-size limit `2/λ_max`, the rate `(κ−1)/(κ+1)` of the
//! best fixed step, and the heavy ball's `(√κ−1)/(√κ+1)`.

/// `f(x) = ½ xᵀ H x` for a symmetric positive definite `H` (row-major, `n × n`); the minimum
/// is at `x* = 0`, so the error of an iterate is its length.
#[derive(Clone, Debug, PartialEq)]
pub struct Quadratic {
    pub n: usize,
    pub hessian: Vec<f64>,
}

impl Quadratic {
    /// `H = diag(eigenvalues)`: each coordinate is an eigendirection.
    pub fn diagonal(eigenvalues: &[f64]) -> Self {
        let n = eigenvalues.len();
        let mut hessian = vec![0.0; n * n];
        for (i, &lambda) in eigenvalues.iter().enumerate() {
            hessian[i * n + i] = lambda;
        }
        Quadratic { n, hessian }
    }

    /// A 2-D quadratic with eigenvalues `mu ≤ l` whose eigenvectors are the axes turned by
    /// `angle` radians: `H = R diag(l, mu) Rᵀ`.
    pub fn rotated(mu: f64, l: f64, angle: f64) -> Self {
        let (s, c) = angle.sin_cos();
        let hessian = vec![
            l * c * c + mu * s * s,
            (l - mu) * c * s,
            (l - mu) * c * s,
            l * s * s + mu * c * c,
        ];
        Quadratic { n: 2, hessian }
    }

    /// `∇f(x) = H x`.
    pub fn grad(&self, x: &[f64]) -> Vec<f64> {
        self.hessian
            .chunks(self.n)
            .map(|row| row.iter().zip(x).map(|(h, x)| h * x).sum())
            .collect()
    }

    /// `f(x) = ½ xᵀ H x`.
    pub fn value(&self, x: &[f64]) -> f64 {
        0.5 * self.grad(x).iter().zip(x).map(|(g, x)| g * x).sum::<f64>()
    }
}

/// `‖x‖`, the distance to the minimum `x* = 0`.
pub fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

// ANCHOR: gd
/// `steps` iterations of gradient descent `x ← x − η ∇f(x)`, from `x0`;
/// returns every iterate, `x0` first.
pub fn gradient_descent(
    f: &Quadratic,
    x0: &[f64],
    eta: f64,
    steps: usize,
) -> Vec<Vec<f64>> {
    let mut path = vec![x0.to_vec()];
    for _ in 0..steps {
        let x = path.last().unwrap();
        let g = f.grad(x);
        let next = x.iter().zip(&g).map(|(x, g)| x - eta * g).collect();
        path.push(next);
    }
    path
}
// ANCHOR_END: gd

// ANCHOR: heavy_ball
/// Polyak's heavy ball, `x_{k+1} = x_k − η ∇f(x_k) + β (x_k − x_{k−1})`,
/// from rest (`x_{−1} = x_0`); returns every iterate, `x0` first.
pub fn heavy_ball(
    f: &Quadratic,
    x0: &[f64],
    eta: f64,
    beta: f64,
    steps: usize,
) -> Vec<Vec<f64>> {
    let mut path = vec![x0.to_vec()];
    let mut previous = x0.to_vec();
    for _ in 0..steps {
        let x = path.last().unwrap().clone();
        let g = f.grad(&x);
        let next = (0..f.n)
            .map(|i| x[i] - eta * g[i] + beta * (x[i] - previous[i]))
            .collect();
        previous = x;
        path.push(next);
    }
    path
}
// ANCHOR_END: heavy_ball

// ANCHOR: nesterov
/// Nesterov's method: step from the look-ahead point
/// `y_k = x_k + β (x_k − x_{k−1})`, `x_{k+1} = y_k − η ∇f(y_k)`;
/// returns every iterate `x_k`, `x0` first.
pub fn nesterov(
    f: &Quadratic,
    x0: &[f64],
    eta: f64,
    beta: f64,
    steps: usize,
) -> Vec<Vec<f64>> {
    let mut path = vec![x0.to_vec()];
    let mut previous = x0.to_vec();
    for _ in 0..steps {
        let x = path.last().unwrap().clone();
        let y: Vec<f64> = (0..f.n)
            .map(|i| x[i] + beta * (x[i] - previous[i]))
            .collect();
        let g = f.grad(&y);
        path.push(y.iter().zip(&g).map(|(y, g)| y - eta * g).collect());
        previous = x;
    }
    path
}
// ANCHOR_END: nesterov

// ANCHOR: tuning
/// The best fixed step of gradient descent on eigenvalues in `[mu, l]`,
/// `η = 2/(L + μ)`, and its rate `ρ = (κ − 1)/(κ + 1)` with `κ = L/μ`.
pub fn best_gd(mu: f64, l: f64) -> (f64, f64) {
    let kappa = l / mu;
    (2.0 / (l + mu), (kappa - 1.0) / (kappa + 1.0))
}

/// The heavy ball's optimal `η = (2/(√L + √μ))²`, `β = ((√κ−1)/(√κ+1))²`
/// and its rate `ρ = √β = (√κ − 1)/(√κ + 1)`.
pub fn best_heavy_ball(mu: f64, l: f64) -> (f64, f64, f64) {
    let eta = (2.0 / (l.sqrt() + mu.sqrt())).powi(2);
    let rho = ((l / mu).sqrt() - 1.0) / ((l / mu).sqrt() + 1.0);
    (eta, rho * rho, rho)
}
// ANCHOR_END: tuning

/// The first `k` with `‖x_k‖ ≤ tol ‖x_0‖`, or `None` if no iterate gets there.
pub fn iterations_to(path: &[Vec<f64>], tol: f64) -> Option<usize> {
    let start = norm(&path[0]);
    path.iter().position(|x| norm(x) <= tol * start)
}

// ANCHOR: predicted
/// The theory's iteration counts to shrink the error of `x_0 = (1, 1)` on
/// `diag(μ, L)` by `tol`: best-step GD shrinks both coordinates by exactly
/// `ρ_gd` a step; the heavy ball's double roots `±ρ` give the coordinates
/// `(1 + (1 ∓ ρ) k) (±ρ)^k`.
pub fn predicted_iterations(mu: f64, l: f64, tol: f64) -> (usize, usize) {
    let (_, rho_gd) = best_gd(mu, l);
    let gd = (tol.ln() / rho_gd.ln()).ceil() as usize;
    let (_, _, rho) = best_heavy_ball(mu, l);
    let error = |k: f64| {
        let slow = 1.0 + (1.0 - rho) * k;
        let fast = 1.0 + (1.0 + rho) * k;
        ((slow * slow + fast * fast) / 2.0).sqrt() * rho.powf(k)
    };
    let hb = (0..).find(|&k| error(k as f64) <= tol).unwrap();
    (gd, hb)
}
// ANCHOR_END: predicted
