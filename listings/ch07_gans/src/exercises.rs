//! Solutions to the chapter's exercises.

use crate::dirac::{self, Point};
use crate::optimal::{jensen_shannon, Gaussian};

// ANCHOR: jsd_saturates
/// Exercise 1: `JSD(N(0, 1) ‖ N(μ, 1))` and its slope in `μ` by a central
/// difference. Far apart, the divergence sits at `ln 2` and the slope is
/// zero: a generator trained on JSD alone gets no signal.
pub fn jsd_and_slope(mu: f64) -> (f64, f64) {
    let jsd = |m: f64| {
        let p = Gaussian {
            mean: 0.0,
            std: 1.0,
        };
        jensen_shannon(p, Gaussian { mean: m, std: 1.0 })
    };
    let h = 1e-3;
    (jsd(mu), (jsd(mu + h) - jsd(mu - h)) / (2.0 * h))
}
// ANCHOR_END: jsd_saturates

// ANCHOR: step_growth
/// Exercise 2: near the equilibrium one simultaneous step multiplies the
/// distance by at most `max |1 + hλ|` over the eigenvalues `λ` of the
/// Jacobian `[[0, −½], [½, −γ]]` (`f'(0) = ½`). Returns that factor.
pub fn step_growth(h: f64, gamma: f64) -> f64 {
    let slope = 0.5;
    let disc = gamma * gamma - 4.0 * slope * slope;
    if disc < 0.0 {
        // λ = (−γ ± i√(−disc)) / 2
        let (re, im) = (-gamma / 2.0, (-disc).sqrt() / 2.0);
        (1.0 + h * re).hypot(h * im)
    } else {
        let roots =
            [(-gamma + disc.sqrt()) / 2.0, (-gamma - disc.sqrt()) / 2.0];
        roots
            .iter()
            .map(|l| (1.0 + h * l).abs())
            .fold(0.0, f64::max)
    }
}
// ANCHOR_END: step_growth

// ANCHOR: alternating
/// Exercise 3: alternating steps, the generator first and the
/// discriminator answering the moved generator.
pub fn alternating(start: Point, h: f64, steps: usize) -> Vec<Point> {
    let mut path = vec![start];
    let (mut theta, mut psi) = start;
    for _ in 0..steps {
        theta += h * dirac::field((theta, psi), 0.0).0;
        psi += h * dirac::field((theta, psi), 0.0).1;
        path.push((theta, psi));
    }
    path
}
// ANCHOR_END: alternating
