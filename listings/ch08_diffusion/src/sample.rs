//! The reverse process: ancestral DDPM sampling, the DDIM family of samplers
//! on a subsequence of steps, and DDIM inversion of data to noise.

use crate::schedule::Schedule;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::StandardNormal;
use std::array::from_fn;

/// A noise predictor: ε̂(x_t, t) for a batch of points of `D` coordinates
/// (a point in the plane, a digit's pixels, an autoencoder's code) at one
/// step `t`.
pub type Predictor<'a, const D: usize> =
    &'a dyn Fn(&[[f32; D]], usize) -> Vec<[f32; D]>;

/// One draw from N(0, I) in `D` dimensions.
pub fn normal<const D: usize>(rng: &mut StdRng) -> [f32; D] {
    std::array::from_fn(|_| rng.sample(StandardNormal))
}

/// `n` draws from N(0, I) in `D` dimensions.
pub fn gaussian<const D: usize>(n: usize, rng: &mut StdRng) -> Vec<[f32; D]> {
    (0..n).map(|_| normal(rng)).collect()
}

// ANCHOR: ddpm
/// Ho et al.'s Algorithm 2: from x_T ~ N(0, I), for t = T..1,
/// x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂(x_t, t))/√α_t + σ_t z, σ_t² = β̃_t,
/// with no noise at the last step. Returns x_T, ..., x_0.
pub fn ddpm<const D: usize>(
    eps: Predictor<D>,
    s: &Schedule,
    x_big_t: Vec<[f32; D]>,
    rng: &mut StdRng,
) -> Vec<Vec<[f32; D]>> {
    let mut path = vec![x_big_t];
    for t in (1..=s.steps()).rev() {
        let (ab, ab_prev, beta) =
            (s.alpha_bar(t), s.alpha_bar(t - 1), s.beta[t - 1]);
        let sigma = ((1.0 - ab_prev) / (1.0 - ab) * beta).sqrt() as f32;
        let x = path.last().expect("the path starts at x_T");
        let e = eps(x, t);
        let coef = (beta / (1.0 - ab).sqrt()) as f32;
        let scale = (1.0 - beta).sqrt() as f32;
        let next = x
            .iter()
            .zip(&e)
            .map(|(x, e)| {
                let z: [f32; D] = normal(rng);
                let z = if t > 1 { z } else { [0.0; D] };
                from_fn(|i| (x[i] - coef * e[i]) / scale + sigma * z[i])
            })
            .collect();
        path.push(next);
    }
    path
}
// ANCHOR_END: ddpm

/// `count` steps spread evenly over 1..=T, from T down, then 0.
pub fn timesteps(total: usize, count: usize) -> Vec<usize> {
    let mut ts: Vec<usize> = (0..=count)
        .rev()
        .map(|i| (i as f64 * total as f64 / count as f64).round() as usize)
        .collect();
    ts.dedup();
    ts
}

// ANCHOR: ddim
/// Song et al.'s generalized step from t to s < t: predict
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, then
/// x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε̂ + σ z with
/// σ = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s).
/// η = 0 is DDIM (deterministic); η = 1 on every step is DDPM.
pub fn ddim<const D: usize>(
    eps: Predictor<D>,
    s: &Schedule,
    steps: &[usize],
    eta: f64,
    x_start: Vec<[f32; D]>,
    rng: &mut StdRng,
) -> Vec<Vec<[f32; D]>> {
    let mut path = vec![x_start];
    for pair in steps.windows(2) {
        let (t, to) = (pair[0], pair[1]);
        let (ab, ab_to) = (s.alpha_bar(t), s.alpha_bar(to));
        let sigma = eta
            * ((1.0 - ab_to) / (1.0 - ab)).sqrt()
            * (1.0 - ab / ab_to).sqrt();
        let toward = (1.0 - ab_to - sigma * sigma).max(0.0).sqrt() as f32;
        let x = path.last().expect("the path starts at x_T");
        let e = eps(x, t);
        let next = x
            .iter()
            .zip(&e)
            .map(|(x, e)| {
                let z: [f32; D] = normal(rng);
                from_fn(|i| {
                    let x0 = (x[i] - (1.0 - ab).sqrt() as f32 * e[i])
                        / ab.sqrt() as f32;
                    ab_to.sqrt() as f32 * x0
                        + toward * e[i]
                        + sigma as f32 * z[i]
                })
            })
            .collect();
        path.push(next);
    }
    path
}
// ANCHOR_END: ddim

// ANCHOR: invert
/// DDIM inversion: run the deterministic update forward in time,
/// x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε̂(x_t, t) for t < t', reusing
/// ε̂ at the lower step. `steps` ascend from 0; returns the final x.
pub fn invert<const D: usize>(
    eps: Predictor<D>,
    s: &Schedule,
    steps: &[usize],
    x0: Vec<[f32; D]>,
) -> Vec<[f32; D]> {
    let mut x = x0;
    for pair in steps.windows(2) {
        let (t, to) = (pair[0], pair[1]);
        let (ab, ab_to) = (s.alpha_bar(t), s.alpha_bar(to));
        // At t = 0 the network was never trained: evaluate it at step 1.
        let e = eps(&x, t.max(1));
        x = x
            .iter()
            .zip(&e)
            .map(|(x, e)| {
                from_fn(|i| {
                    let x0 = (x[i] - (1.0 - ab).sqrt() as f32 * e[i])
                        / ab.sqrt() as f32;
                    ab_to.sqrt() as f32 * x0
                        + (1.0 - ab_to).sqrt() as f32 * e[i]
                })
            })
            .collect();
    }
    x
}
// ANCHOR_END: invert
