//! Why the scores are divided by √d_k: dot products of random vectors grow with their width.

use dfdx::prelude::*;
use dudl::Dev;

/// Rows of random scores drawn for the experiments: 64 queries against [`KEYS`] keys each.
pub const QUERIES: usize = 64;
/// Keys each query is scored against.
pub const KEYS: usize = 10;

// ANCHOR: scores
/// Scores `q·k` (optionally divided by √d_k) of standard-normal queries and
/// keys of width `DK`, `QUERIES × KEYS` of them, row by row.
pub fn random_scores<const DK: usize>(scaled: bool, seed: u64) -> Vec<f32> {
    let dev = Dev::seed_from_u64(seed);
    let q: Tensor<Rank2<QUERIES, DK>, f32, Dev> = dev.sample_normal();
    let k: Tensor<Rank2<KEYS, DK>, f32, Dev> = dev.sample_normal();
    let scale = if scaled {
        1.0 / (DK as f32).sqrt()
    } else {
        1.0
    };
    (q.matmul(k.permute::<Rank2<DK, KEYS>, Axes2<1, 0>>()) * scale).as_vec()
}
// ANCHOR_END: scores

/// The sample variance of `values`.
pub fn variance(values: &[f32]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n
}
