//! How far back a gradient reaches: `‖(∂h_T/∂h_t)ᵀ u‖` for a random unit vector
//! `u`, against the distance `T − t`, measured by backpropagation through time.

use crate::cells::{Batch, Recurrent};
use crate::Dev;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

// ANCHOR: across_time
/// For each distance `k = 0 … T`, the root mean square over the batch of
/// `‖(∂h_T/∂h_{T−k})ᵀ u‖`, with a random unit vector `u` per sequence: how much
/// of a change in the state `k` steps before the end still reaches the end.
pub fn gradient_across_time<C, const I: usize, const H: usize, const B: usize>(
    cell: &C,
    xs: &[Batch<B, I>],
    seed: u64,
) -> Vec<f64>
where
    C: Recurrent<I, H>,
{
    let dev = xs[0].device();
    let h0: Batch<B, H> = dev.zeros();
    let (h_last, states) = cell.run(h0.leaky_trace(), xs);
    // L = Σ_n u_n · h_T^(n), so that ∂L/∂h_t^(n) = (∂h_T/∂h_t)ᵀ u_n.
    let grads = (h_last * unit_vectors::<B, H>(dev, seed)).sum().backward();
    let mut norms: Vec<f64> = std::iter::once(h0)
        .chain(states)
        .map(|h_t| rms_row_norm(&grads.get(&h_t).as_vec(), H))
        .collect();
    norms.reverse(); // from k = 0 (h_T itself) to k = T (h_0)
    norms
}
// ANCHOR_END: across_time

/// `B` random unit vectors of width `H`, one per row.
fn unit_vectors<const B: usize, const H: usize>(
    dev: &Dev,
    seed: u64,
) -> Batch<B, H> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut values: Vec<f32> = (0..B * H)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    for row in values.chunks_mut(H) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        row.iter_mut().for_each(|v| *v /= norm);
    }
    dev.tensor_from_vec(values, (Const::<B>, Const::<H>))
}

/// The root mean square of the norms of the rows (of width `width`) of
/// `values`.
fn rms_row_norm(values: &[f32], width: usize) -> f64 {
    let rows = values.chunks(width);
    let count = rows.len() as f64;
    let total: f64 = rows
        .map(|row| row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>())
        .sum();
    (total / count).sqrt()
}
