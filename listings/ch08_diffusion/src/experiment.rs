//! The 2-D experiment: two moons, a DDPM trained on them, and every sampler
//! scored by its sliced Wasserstein distance to held-out points.

use crate::digits;
use crate::distance::sliced_wasserstein;
use crate::model::{self, predict, MoonsNet, EMBED};
use crate::sample::{ddim, ddpm, gaussian, invert, timesteps, Predictor};
use crate::schedule::{noisy, Schedule};
use anyhow::{Context, Result};
use dudl::progress::Progress;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Seed of the data, the weights and the samplers' noise.
pub const SEED: u64 = 8;
/// Points in the two-moons set before the split (a quarter is held out).
pub const POINTS: usize = 8000;
/// DDIM and respaced-DDPM step counts of the quality-vs-steps figure.
pub const STEP_COUNTS: &[usize] = &[2, 5, 10, 20, 50, 100, 200];
/// The DDIM step count whose samples the figure shows.
pub const DDIM_SHOWN: usize = 20;
/// Steps of the DDIM inversion round trip, each way.
pub const INVERSION_STEPS: usize = 100;
/// The factor the two-moons coordinates are scaled by.
pub const SCALE: f32 = 2.0;
/// Seed of the sliced distance's directions.
pub const SW_SEED: u64 = 80;

/// The schedules the chapter uses.
#[derive(Clone, Debug)]
pub struct Schedules {
    /// Ho et al.'s: β from 10⁻⁴ to 0.02 over 1,000 steps.
    pub linear: Schedule,
    /// The same β range over only 100 steps: ᾱ_T stays far from 0.
    pub short: Schedule,
    /// Nichol & Dhariwal's cosine schedule over 1,000 steps.
    pub cosine: Schedule,
}

impl Schedules {
    pub fn new() -> Self {
        Schedules {
            linear: Schedule::linear(1000, 1e-4, 0.02),
            short: Schedule::linear(100, 1e-4, 0.02),
            cosine: Schedule::cosine(1000),
        }
    }
}

impl Default for Schedules {
    fn default() -> Self {
        Self::new()
    }
}

/// The training budget, how many held-out points to sample and score, and
/// the digit experiment's budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub train: model::Budget,
    pub held_out: usize,
    pub digits: digits::Budget,
}

/// `steps` Adam steps on batches of 128 at learning rate `lr`.
fn train(steps: usize, lr: f64) -> model::Budget {
    model::Budget {
        steps,
        batch: 128,
        lr,
    }
}

impl Budget {
    /// The chapter's run.
    pub fn full() -> Self {
        Budget {
            train: model::Budget {
                steps: 6000,
                batch: 256,
                lr: 2e-3,
            },
            held_out: 2000,
            digits: digits::Budget {
                classifier: train(1500, 2e-3),
                autoencoder: train(2000, 2e-3),
                pixel: train(2500, 2e-3),
                latent: train(3000, 2e-3),
                samples: 500,
                sampling_steps: 50,
            },
        }
    }
    /// What the tests run.
    pub fn quick() -> Self {
        let full = Self::full();
        Budget {
            train: model::Budget {
                steps: 2000,
                ..full.train
            },
            held_out: 1000,
            digits: digits::Budget {
                classifier: train(400, 2e-3),
                autoencoder: train(600, 2e-3),
                pixel: train(300, 2e-3),
                latent: train(800, 2e-3),
                samples: 200,
                sampling_steps: 20,
            },
        }
    }
}

/// What one run measured, and the point clouds the figures draw.
pub struct Outcome {
    pub budget: Budget,
    pub schedules: Schedules,
    pub net: MoonsNet,
    pub train: Vec<[f32; 2]>,
    pub test: Vec<[f32; 2]>,
    pub final_loss: f32,
    /// x_T, ..., x_0 of ancestral sampling with the 1,000-step schedule.
    pub ddpm_path: Vec<Vec<[f32; 2]>>,
    pub ddim_samples: Vec<[f32; 2]>,
    pub sw_data: f64,
    pub sw_gaussian: f64,
    pub sw_ddpm: f64,
    /// Ancestral sampling from N(0, I) with the net trained on the short
    /// schedule.
    pub sw_short: f64,
    pub short_samples: Vec<[f32; 2]>,
    /// (steps, distance) of deterministic DDIM (η = 0).
    pub ddim: Vec<(usize, f64)>,
    /// (steps, distance) of respaced DDPM (η = 1).
    pub respaced: Vec<(usize, f64)>,
    /// Mean and largest distance between a held-out point and its DDIM
    /// reconstruction from the inverted noise.
    pub inversion_error: f64,
    pub inversion_max: f64,
    /// The digits: pixel-space and latent diffusion.
    pub digits: digits::Outcome,
}

/// Two moons, scaled by [`SCALE`] and not centred: the mean (1, 0.5) is the
/// signal a schedule that stops short of noise leaks into x_T.
pub fn data() -> (Vec<[f32; 2]>, Vec<[f32; 2]>) {
    let (train, test) =
        dudl::data::two_moons(POINTS, 0.05, SEED).split(0.25, SEED);
    let scale = |points: Vec<[f32; 2]>| {
        points.into_iter().map(|p| p.map(|v| SCALE * v)).collect()
    };
    (scale(train.points), scale(test.points))
}

/// Runs the experiment on `budget`: trains the nets for the 1,000-step and
/// the short schedule on two threads, then samples and scores.
pub fn run(budget: Budget) -> Result<Outcome> {
    let schedules = Schedules::new();
    let (train, mut test) = data();
    test.truncate(budget.held_out);
    let progress = Progress::new("ch08: training two denoisers", 2);
    let (main, short) = std::thread::scope(|scope| {
        let short = scope.spawn(|| {
            model::train::<{ 2 + EMBED }, 128, 2>(
                &train,
                &schedules.short,
                budget.train,
                SEED + 1,
            )
        });
        let main: Result<(MoonsNet, _)> =
            model::train(&train, &schedules.linear, budget.train, SEED);
        (main, short.join())
    });
    let (net, curve) = main?;
    let (short_net, _) =
        short.map_err(|_| anyhow::anyhow!("training thread panicked"))??;
    progress.finish("trained");
    let final_loss = *curve.last().context("no training steps")?;

    let n = test.len();
    let score = |cloud: &[[f32; 2]]| sliced_wasserstein(cloud, &test, SW_SEED);
    let sw_data = score(&train[..n]);
    let mut rng = StdRng::seed_from_u64(SEED + 3);
    let sw_gaussian = score(&gaussian(n, &mut rng));

    let eps = |x: &[[f32; 2]], t: usize| predict(&net, x, t);
    let short_eps = |x: &[[f32; 2]], t: usize| predict(&short_net, x, t);
    let linear = &schedules.linear;
    let progress = Progress::new("ch08: sampling", 2);
    // Two independent jobs on two threads: ancestral sampling on one, the
    // step sweep and the inversion round trip on the other.
    let (ancestral, sweep) = std::thread::scope(|scope| {
        let sweep = scope.spawn(|| step_sweep(&eps, linear, &test));
        let mut rng = StdRng::seed_from_u64(SEED + 2);
        let ddpm_path = ddpm(&eps, linear, gaussian(n, &mut rng), &mut rng);
        let short = &schedules.short;
        let short_path =
            ddpm(&short_eps, short, gaussian(n, &mut rng), &mut rng);
        ((ddpm_path, short_path), sweep.join())
    });
    let (ddpm_path, short_path) = ancestral;
    let sweep =
        sweep.map_err(|_| anyhow::anyhow!("sampling thread panicked"))??;
    progress.finish("sampled");
    let sw_ddpm = score(ddpm_path.last().context("empty path")?);
    let short_samples = short_path.last().context("empty path")?.clone();
    let sw_short = score(&short_samples);
    let mut respaced = sweep.respaced;
    respaced.push((linear.steps(), sw_ddpm));
    let progress = Progress::new("ch08: diffusion on digits", 1);
    let digits = digits::run(budget.digits, linear)?;
    progress.finish("digits generated");

    Ok(Outcome {
        budget,
        schedules,
        net,
        train,
        test,
        final_loss,
        ddpm_path,
        ddim_samples: sweep.ddim_samples,
        sw_data,
        sw_gaussian,
        sw_ddpm,
        sw_short,
        short_samples,
        ddim: sweep.ddim,
        respaced,
        inversion_error: sweep.inversion_error,
        inversion_max: sweep.inversion_max,
        digits,
    })
}

/// What the step sweep measured.
struct Sweep {
    ddim: Vec<(usize, f64)>,
    respaced: Vec<(usize, f64)>,
    ddim_samples: Vec<[f32; 2]>,
    inversion_error: f64,
    inversion_max: f64,
}

/// DDIM and respaced DDPM at every count of [`STEP_COUNTS`] from one draw of
/// x_T, then the inversion round trip of the held-out points.
fn step_sweep(
    eps: Predictor<2>,
    linear: &Schedule,
    test: &[[f32; 2]],
) -> Result<Sweep> {
    let score = |cloud: &[[f32; 2]]| sliced_wasserstein(cloud, test, SW_SEED);
    let mut rng = StdRng::seed_from_u64(SEED + 4);
    let start = gaussian(test.len(), &mut rng);
    let (mut ddim_curve, mut respaced) = (Vec::new(), Vec::new());
    let mut ddim_samples = Vec::new();
    for &count in STEP_COUNTS {
        let steps = timesteps(linear.steps(), count);
        let path = ddim(eps, linear, &steps, 0.0, start.clone(), &mut rng);
        let last = path.last().context("empty path")?;
        ddim_curve.push((count, score(last)));
        if count == DDIM_SHOWN {
            ddim_samples = last.clone();
        }
        let path = ddim(eps, linear, &steps, 1.0, start.clone(), &mut rng);
        respaced.push((count, score(path.last().context("empty path")?)));
    }
    let (inversion_error, inversion_max) = round_trip(eps, linear, test)?;
    Ok(Sweep {
        ddim: ddim_curve,
        respaced,
        ddim_samples,
        inversion_error,
        inversion_max,
    })
}

// ANCHOR: round_trip
/// Inverts `points` to x_T with [`INVERSION_STEPS`] DDIM steps, decodes them
/// back with as many, and returns the mean and largest distance between a
/// point and its reconstruction.
pub fn round_trip(
    eps: Predictor<2>,
    s: &Schedule,
    points: &[[f32; 2]],
) -> Result<(f64, f64)> {
    let down = timesteps(s.steps(), INVERSION_STEPS);
    let up: Vec<usize> = down.iter().rev().copied().collect();
    let noise = invert(eps, s, &up, points.to_vec());
    let mut unused = StdRng::seed_from_u64(0); // η = 0 draws no noise
    let back = ddim(eps, s, &down, 0.0, noise, &mut unused);
    let errors: Vec<f64> = back
        .last()
        .context("empty path")?
        .iter()
        .zip(points)
        .map(|(a, b)| f64::from((a[0] - b[0]).hypot(a[1] - b[1])))
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    Ok((mean, errors.iter().copied().fold(0.0, f64::max)))
}
// ANCHOR_END: round_trip

/// The forward process applied to `points` at step `t` of `schedule`.
pub fn diffuse(
    schedule: &Schedule,
    points: &[[f32; 2]],
    t: usize,
    seed: u64,
) -> Vec<[f32; 2]> {
    let mut rng = StdRng::seed_from_u64(seed);
    let eps: Vec<[f32; 2]> = gaussian(points.len(), &mut rng);
    points
        .iter()
        .zip(&eps)
        .map(|(x, e)| {
            let v = noisy(schedule, x, t, e);
            [v[0], v[1]]
        })
        .collect()
}
