//! Exploding gradients: a tanh RNN whose recurrent weights have spectral radius
//! `ρ > 1`.

use crate::cells::RnnCell;
use crate::Dev;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

// ANCHOR: radius
/// A random `H × H` orthogonal matrix `Q` (Gram–Schmidt on a Gaussian matrix),
/// row by row. Every eigenvalue of `Q` has modulus 1, so every eigenvalue of `ρ
/// Q` has modulus `ρ`.
pub fn random_orthogonal<const H: usize>(seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(H);
    while rows.len() < H {
        let mut v: Vec<f64> =
            (0..H).map(|_| StandardNormal.sample(&mut rng)).collect();
        for q in &rows {
            let along: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(q).for_each(|(a, b)| *a -= along * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            rows.push(v.iter().map(|a| a / norm).collect());
        }
    }
    rows.concat()
}

/// A tanh RNN cell whose recurrent weights are `U = ρ Q`: spectral radius
/// exactly `ρ`.
pub fn rnn_with_radius<const I: usize, const H: usize>(
    dev: &Dev,
    radius: f64,
    seed: u64,
) -> RnnCell<I, H> {
    let mut cell = RnnCell::<I, H>::build(dev);
    let u = random_orthogonal::<H>(seed)
        .into_iter()
        .map(|q| (radius * q) as f32);
    cell.hidden.u.weight =
        dev.tensor_from_vec(u.collect(), (Const::<H>, Const::<H>));
    cell
}
// ANCHOR_END: radius
