//! Solutions to the chapter's exercises.

use crate::attention::Weights;
use crate::positional::sinusoidal_encoding;
use crate::scaling::{random_scores, KEYS};
use anyhow::{ensure, Result};
use dfdx::prelude::*;
use dudl::Dev;

// ANCHOR: entropy
/// Exercise 1. Mean entropy (nats) of the softmax of random score rows of
/// width `DK`, with and without the `1/√d_k` scaling. A uniform row has
/// `ln(KEYS)`; a one-hot row has 0.
pub fn attention_entropy<const DK: usize>(scaled: bool, seed: u64) -> f64 {
    let scores = random_scores::<DK>(scaled, seed);
    let rows = scores.chunks(KEYS);
    let count = rows.len() as f64;
    let entropy = |row: &[f32]| {
        let max = row.iter().copied().fold(f32::MIN, f32::max);
        let exps: Vec<f64> =
            row.iter().map(|&s| ((s - max) as f64).exp()).collect();
        let total: f64 = exps.iter().sum();
        -exps
            .iter()
            .map(|e| e / total)
            .filter(|&p| p > 0.0)
            .map(|p| p * p.ln())
            .sum::<f64>()
    };
    rows.map(entropy).sum::<f64>() / count
}
// ANCHOR_END: entropy

// ANCHOR: padding
/// Exercise 2. The additive padding mask for sequences of true lengths
/// `lengths`: keys at positions `≥ lengths[b]` get −∞ for every head and
/// query of sequence `b`. `(B, H, T, T)`.
pub fn padding_mask<const B: usize, const H: usize, const T: usize>(
    dev: &Dev,
    lengths: &[usize; B],
) -> Result<Weights<B, H, T, T>> {
    ensure!(
        lengths.iter().all(|&n| (1..=T).contains(&n)),
        "every length must be in 1..={T} \
         (a row with no key to look at has no softmax): {lengths:?}"
    );
    let mask = (0..B * T)
        .map(|n| {
            if n % T >= lengths[n / T] {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    Ok(dev
        .tensor_from_vec(mask, (Const::<B>, Const::<T>))
        .broadcast::<Rank4<B, H, T, T>, Axes2<1, 2>>())
}
// ANCHOR_END: padding

// ANCHOR: similarity
/// Exercise 3. Dot products `P[s]·P[t]` of the sinusoidal encodings of every
/// pair of positions, `(T, T)` row by row. They depend only on the offset
/// `t − s`.
pub fn encoding_similarity<const T: usize, const DM: usize>(
    dev: &Dev,
) -> Vec<f32> {
    let p = sinusoidal_encoding::<T, DM>(dev);
    p.clone()
        .matmul(p.permute::<Rank2<DM, T>, Axes2<1, 0>>())
        .as_vec()
}
// ANCHOR_END: similarity
