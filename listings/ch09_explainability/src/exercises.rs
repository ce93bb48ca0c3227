//! Solutions to the chapter's exercises.

use crate::model::{logits_of, Model};
use crate::sanity::ranks;
use crate::shapes::{NOISE, PIXELS};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

// ANCHOR: spearman_formula
/// Exercise 1: with no ties, Spearman's ρ is `1 − 6 Σ d_i² / (n (n² − 1))`,
/// `d_i` the difference of the two ranks of item `i`.
pub fn spearman_by_formula(a: &[f32], b: &[f32]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}
// ANCHOR_END: spearman_formula

// ANCHOR: deletion
/// Exercise 3: the drop of logit `y_c` when the `k` pixels with the largest
/// `|attribution|` are set to 0, and when `k` random pixels are (`seed`).
pub fn deletion<const K: usize>(
    model: &Model<K>,
    image: &[f32],
    (class, side): (usize, usize),
    attribution: &[f32],
    (k, seed): (usize, u64),
) -> (f32, f32) {
    let mut by_size: Vec<usize> = (0..image.len()).collect();
    by_size.sort_by(|&i, &j| {
        attribution[j].abs().total_cmp(&attribution[i].abs())
    });
    let mut random: Vec<usize> = (0..image.len()).collect();
    random.shuffle(&mut StdRng::seed_from_u64(seed));
    let erase = |pixels: &[usize]| {
        let mut erased = image.to_vec();
        pixels.iter().for_each(|&i| erased[i] = 0.0);
        erased
    };
    let images = [image.to_vec(), erase(&by_size[..k]), erase(&random[..k])];
    let y = logits_of(model, &images, side);
    (y[0][class] - y[1][class], y[0][class] - y[2][class])
}
// ANCHOR_END: deletion

// ANCHOR: noise_baseline
/// Exercise 2: a baseline of pure background, the canvas's Gaussian noise
/// with no shape and no strokes, drawn from `seed`.
pub fn noise_baseline(seed: u64) -> Vec<f32> {
    let noise = Normal::new(0.0, NOISE).expect("the noise level is positive");
    let mut rng = StdRng::seed_from_u64(seed);
    (0..PIXELS).map(|_| noise.sample(&mut rng)).collect()
}
// ANCHOR_END: noise_baseline
