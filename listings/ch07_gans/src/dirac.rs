//! The Dirac-GAN (Mescheder et al. 2018): data at 0, a generator that puts
//! all its mass at `θ`, and a linear discriminator `D(x) = σ(ψx)`.

use crate::game::sigmoid;

/// A point `(θ, ψ)` of the game: generator and discriminator parameters.
pub type Point = (f64, f64);

// ANCHOR: vector_field
/// The simultaneous gradient field of `L(θ, ψ) = f(ψθ) + f(0)` with
/// `f(t) = −ln(1 + e^{−t})` and `f'(t) = σ(−t)`: the generator descends in
/// `θ`, the discriminator ascends in `ψ` and pays the R1 penalty
/// `(γ/2)‖∇ₓ ψx‖² = (γ/2)ψ²` on the data.
pub fn field((theta, psi): Point, gamma: f64) -> Point {
    let slope = sigmoid(-theta * psi); // f'(θψ)
    (-slope * psi, slope * theta - gamma * psi)
}

/// `steps` simultaneous gradient steps of size `h` from `start`; returns
/// the whole trajectory, `start` first.
pub fn simultaneous(
    start: Point,
    h: f64,
    gamma: f64,
    steps: usize,
) -> Vec<Point> {
    let mut path = vec![start];
    let mut p = start;
    for _ in 0..steps {
        let (dt, dp) = field(p, gamma);
        p = (p.0 + h * dt, p.1 + h * dp);
        path.push(p);
    }
    path
}
// ANCHOR_END: vector_field

/// The distance `‖(θ, ψ)‖` to the equilibrium `(0, 0)`.
pub fn distance((theta, psi): Point) -> f64 {
    theta.hypot(psi)
}

/// Where the Dirac-GAN starts.
pub const START: Point = (1.0, 1.0);
/// Step size of the Dirac-GAN runs.
pub const STEP: f64 = 0.1;
/// Number of Dirac-GAN steps.
pub const STEPS: usize = 600;
/// R1 weight of the regularised run.
pub const GAMMA: f64 = 1.0;
