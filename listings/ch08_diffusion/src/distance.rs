//! The sliced Wasserstein distance between two point clouds in the plane.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Number of random directions the distance averages over.
pub const DIRECTIONS: usize = 128;

// ANCHOR: sliced
/// The sliced 2-Wasserstein distance between two equally sized clouds:
/// SW₂(a, b)² = E_θ[W₂²(θᵀa, θᵀb)], where in one dimension W₂² is the mean
/// squared gap between the sorted projections. Directions θ come from `seed`.
pub fn sliced_wasserstein(a: &[[f32; 2]], b: &[[f32; 2]], seed: u64) -> f64 {
    assert_eq!(a.len(), b.len(), "compare clouds of the same size");
    let mut rng = StdRng::seed_from_u64(seed);
    let sorted_projection = |cloud: &[[f32; 2]], (c, s): (f64, f64)| {
        let mut p: Vec<f64> = cloud
            .iter()
            .map(|x| c * x[0] as f64 + s * x[1] as f64)
            .collect();
        p.sort_by(f64::total_cmp);
        p
    };
    let mut total = 0.0;
    for _ in 0..DIRECTIONS {
        let angle = rng.gen_range(0.0..std::f64::consts::PI);
        let theta = (angle.cos(), angle.sin());
        let (pa, pb) =
            (sorted_projection(a, theta), sorted_projection(b, theta));
        let gap: f64 = pa.iter().zip(&pb).map(|(u, v)| (u - v).powi(2)).sum();
        total += gap / a.len() as f64;
    }
    (total / DIRECTIONS as f64).sqrt()
}
// ANCHOR_END: sliced
