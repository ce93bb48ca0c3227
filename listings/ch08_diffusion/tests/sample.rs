//! The samplers, the distance and the time embedding, on known answers.

use ch08_diffusion::distance::sliced_wasserstein;
use ch08_diffusion::model::{time_embedding, EMBED};
use ch08_diffusion::sample::{ddim, ddpm, gaussian, invert, timesteps};
use ch08_diffusion::schedule::Schedule;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// A made-up noise predictor: any function will do for an identity.
fn fake(x: &[[f32; 2]], t: usize) -> Vec<[f32; 2]> {
    let phase = (t as f32 * 0.01).sin();
    x.iter()
        .map(|p| [0.3 * p[0] + phase, 0.5 * p[1] - phase])
        .collect()
}

#[test]
fn ddim_with_eta_one_on_every_step_is_ancestral_ddpm() {
    let s = Schedule::linear(100, 1e-4, 0.02);
    let start = gaussian(50, &mut StdRng::seed_from_u64(4));
    let a = ddpm(&fake, &s, start.clone(), &mut StdRng::seed_from_u64(5));
    let every = timesteps(100, 100);
    let b = ddim(&fake, &s, &every, 1.0, start, &mut StdRng::seed_from_u64(5));
    for (p, q) in a.last().unwrap().iter().zip(b.last().unwrap()) {
        assert!((p[0] - q[0]).abs() < 1e-3 && (p[1] - q[1]).abs() < 1e-3);
    }
}

/// The exact ε for data that is a single point x*: (x_t − √ᾱ_t x*)/√(1 − ᾱ_t).
fn oracle(
    s: &Schedule,
    target: [f32; 2],
) -> impl Fn(&[[f32; 2]], usize) -> Vec<[f32; 2]> + '_ {
    move |x, t| {
        let ab = s.alpha_bar(t);
        x.iter()
            .map(|p| {
                [0, 1].map(|i| {
                    (p[i] - ab.sqrt() as f32 * target[i])
                        / (1.0 - ab).sqrt() as f32
                })
            })
            .collect()
    }
}

#[test]
fn ddim_with_the_exact_noise_lands_on_the_data_in_ten_steps() {
    let s = Schedule::linear(1000, 1e-4, 0.02);
    let target = [1.0, -2.0];
    let eps = oracle(&s, target);
    let start = gaussian(20, &mut StdRng::seed_from_u64(6));
    let path = ddim(
        &eps,
        &s,
        &timesteps(1000, 10),
        0.0,
        start,
        &mut StdRng::seed_from_u64(0),
    );
    for p in path.last().unwrap() {
        assert!(
            (p[0] - target[0]).abs() < 1e-3 && (p[1] - target[1]).abs() < 1e-3
        );
    }
}

#[test]
fn ddim_inversion_and_decoding_are_inverse_for_an_exact_predictor() {
    let s = Schedule::linear(1000, 1e-4, 0.02);
    let eps = |x: &[[f32; 2]], t: usize| {
        fake(x, t)
            .iter()
            .map(|p| [p[0] * 0.0, p[1] * 0.0])
            .collect()
    };
    // With ε̂ ≡ 0 both directions are exact rescalings by √ᾱ.
    let down = timesteps(1000, 25);
    let up: Vec<usize> = down.iter().rev().copied().collect();
    let x = vec![[0.5f32, -0.25]];
    let noise = invert(&eps, &s, &up, x.clone());
    let back = ddim(&eps, &s, &down, 0.0, noise, &mut StdRng::seed_from_u64(0));
    let b = back.last().unwrap()[0];
    assert!((b[0] - 0.5).abs() < 1e-4 && (b[1] + 0.25).abs() < 1e-4);
}

#[test]
fn timesteps_run_from_t_to_zero() {
    assert_eq!(timesteps(1000, 4), vec![1000, 750, 500, 250, 0]);
    assert_eq!(timesteps(10, 10), (0..=10).rev().collect::<Vec<_>>());
}

#[test]
fn sliced_wasserstein_is_zero_to_itself_and_half_the_shift_squared() {
    let a = gaussian(500, &mut StdRng::seed_from_u64(7));
    assert_eq!(sliced_wasserstein(&a, &a, 1), 0.0);
    // Shifting by v moves every projection by θ·v: E_θ (θ·v)² = |v|²/2.
    let v = [3.0f32, 4.0];
    let b: Vec<[f32; 2]> =
        a.iter().map(|p| [p[0] + v[0], p[1] + v[1]]).collect();
    let want = (25.0f64 / 2.0).sqrt();
    let got = sliced_wasserstein(&a, &b, 1);
    assert!((got / want - 1.0).abs() < 0.1, "{got} vs {want}");
}

#[test]
fn time_embedding_has_norm_sqrt_half_width_and_separates_steps() {
    for t in [0, 1, 500, 1000] {
        let norm2: f32 = time_embedding(t).iter().map(|v| v * v).sum();
        assert!((norm2 - EMBED as f32 / 2.0).abs() < 1e-4);
    }
    let gap: f32 = time_embedding(10)
        .iter()
        .zip(time_embedding(11))
        .map(|(a, b)| (a - b).powi(2))
        .sum();
    assert!(gap > 0.1, "neighbouring steps are {gap} apart");
}
