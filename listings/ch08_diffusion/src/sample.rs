//! The reverse process: ancestral DDPM sampling, the DDIM family of samplers
//! on a subsequence of steps, and DDIM inversion of data to noise.

use crate::schedule::Schedule;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::StandardNormal;

/// A noise predictor: ε̂(x_t, t) for a batch of points at one step `t`.
pub type Predictor<'a> = &'a dyn Fn(&[[f32; 2]], usize) -> Vec<[f32; 2]>;

/// `n` draws from N(0, I) in the plane.
pub fn gaussian(n: usize, rng: &mut StdRng) -> Vec<[f32; 2]> {
    (0..n)
        .map(|_| [rng.sample(StandardNormal), rng.sample(StandardNormal)])
        .collect()
}

// ANCHOR: ddpm
/// Ho et al.'s Algorithm 2: from x_T ~ N(0, I), for t = T..1,
/// x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂(x_t, t))/√α_t + σ_t z, σ_t² = β̃_t,
/// with no noise at the last step. Returns x_T, ..., x_0.
pub fn ddpm(
    eps: Predictor,
    s: &Schedule,
    x_big_t: Vec<[f32; 2]>,
    rng: &mut StdRng,
) -> Vec<Vec<[f32; 2]>> {
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
                let z: [f32; 2] =
                    [rng.sample(StandardNormal), rng.sample(StandardNormal)];
                let z = if t > 1 { z } else { [0.0; 2] };
                [0, 1].map(|i| (x[i] - coef * e[i]) / scale + sigma * z[i])
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
pub fn ddim(
    eps: Predictor,
    s: &Schedule,
    steps: &[usize],
    eta: f64,
    x_start: Vec<[f32; 2]>,
    rng: &mut StdRng,
) -> Vec<Vec<[f32; 2]>> {
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
                let z: [f32; 2] =
                    [rng.sample(StandardNormal), rng.sample(StandardNormal)];
                [0, 1].map(|i| {
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
pub fn invert(
    eps: Predictor,
    s: &Schedule,
    steps: &[usize],
    x0: Vec<[f32; 2]>,
) -> Vec<[f32; 2]> {
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
                [0, 1].map(|i| {
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
