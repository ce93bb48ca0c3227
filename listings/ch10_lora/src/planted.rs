//! The planted problem: a frozen layer `W₀` and a target `W₀ + ΔW` whose update
//! has a known rank `k`. A LoRA adapter of rank `r` is trained on input–output
//! pairs of the target; the best it can do is the Eckart–Young error `Σ_{i>r}
//! σ_i²`.

use crate::lora::LoraLinear;
use crate::Dev;
use anyhow::Result;
use dfdx::nn::modules::Linear;
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::linalg::{svd, tail_energy};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// Inputs and outputs of the layer, `I = O`.
pub const WIDTH: usize = 32;
/// The singular values of the planted update, `σ₁ … σ_k`; `k` is their number.
pub const PLANTED: [f64; 4] = [4.0, 3.0, 2.0, 1.0];
/// The planted rank `k`.
pub const K: usize = PLANTED.len();
/// The ranks tried, `r = 1 … 8`.
pub const RANKS: [usize; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
/// Inputs per Adam step.
pub const BATCH: usize = 64;
/// LoRA's `α`: the update is scaled by `α / r`.
pub const ALPHA: f64 = 4.0;

/// How long to train each adapter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub steps: usize,
    /// Adam's starting learning rate; it decays to zero on a cosine.
    pub learning_rate: f64,
    pub seed: u64,
}

/// The frozen layer and the update to learn, both row-major `WIDTH × WIDTH`.
#[derive(Clone, Debug)]
pub struct Planted {
    pub base: Vec<f64>,
    pub delta: Vec<f64>,
}

// ANCHOR: plant
/// `W₀` with entries `N(0, 1/WIDTH)`, and `ΔW = U diag(σ) Vᵀ` with random
/// orthonormal `U` and `V` (the singular vectors of Gaussian matrices) and `σ`
/// = [`PLANTED`].
pub fn plant(seed: u64) -> Result<Planted> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut gaussian = |n: usize| -> Vec<f64> {
        (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
    };
    let base = gaussian(WIDTH * WIDTH)
        .iter()
        .map(|w| w / (WIDTH as f64).sqrt())
        .collect();
    let u = svd(&gaussian(WIDTH * K), WIDTH, K)?.u;
    let v = svd(&gaussian(WIDTH * K), WIDTH, K)?.u;
    let delta = (0..WIDTH * WIDTH)
        .map(|ij| {
            let (i, j) = (ij / WIDTH, ij % WIDTH);
            (0..K)
                .map(|c| PLANTED[c] * u[i * K + c] * v[j * K + c])
                .sum()
        })
        .collect();
    Ok(Planted { base, delta })
}
// ANCHOR_END: plant

/// What an adapter of one rank reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub rank: usize,
    /// `E‖y − ŷ‖² = ‖ΔW − (α/r) B A‖²_F` for `x ~ N(0, I)`.
    pub loss: f64,
    /// The Eckart–Young error `Σ_{i>r} σ_i²` of the planted update.
    pub eckart_young: f64,
    /// The singular values of the learned update `(α/r) B A`, largest first.
    pub learned: Vec<f64>,
}

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

// ANCHOR: fit
/// Trains a rank-`R` adapter on `W₀` to imitate `W₀ + ΔW` on Gaussian inputs,
/// with the loss `‖y − ŷ‖²` averaged over the batch.
pub fn fit<const R: usize>(planted: &Planted, budget: Budget) -> Result<Fit> {
    let dev = Dev::seed_from_u64(budget.seed);
    let base_weight: Tensor<Rank2<WIDTH, WIDTH>, f32, Dev> =
        dev.tensor(to_f32(&planted.base));
    let target = base_weight.clone() + dev.tensor(to_f32(&planted.delta));
    let pretrained = Linear {
        weight: base_weight,
        bias: dev.zeros(),
    };
    let mut layer = LoraLinear::<WIDTH, WIDTH, R>::adapt(pretrained, ALPHA);
    let mut opt = Adam::new(&layer, AdamConfig::default());
    let mut grads = layer.alloc_grads();
    for step in 0..budget.steps {
        let progress = step as f64 / budget.steps as f64;
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        opt.cfg.lr = budget.learning_rate * cosine;
        let x: Tensor<Rank2<BATCH, WIDTH>, f32, Dev> = dev.sample_normal();
        let y = x.clone().matmul(target.clone().permute());
        let y_hat = layer.forward(x.traced(grads));
        let loss = (y_hat - y).square().sum::<Rank0, _>() / BATCH as f32;
        grads = loss.backward();
        opt.update(&mut layer, &grads)?;
        layer.zero_grads(&mut grads);
    }
    let learned: Vec<f64> =
        layer.delta().as_vec().iter().map(|&v| v as f64).collect();
    Ok(Fit {
        rank: R,
        loss: learned
            .iter()
            .zip(&planted.delta)
            .map(|(l, d)| (l - d) * (l - d))
            .sum(),
        eckart_young: tail_energy(&PLANTED, R),
        learned: svd(&learned, WIDTH, WIDTH)?.values,
    })
}
// ANCHOR_END: fit

/// [`fit`] at every rank of [`RANKS`], in parallel.
pub fn fit_all_ranks(planted: &Planted, budget: Budget) -> Result<Vec<Fit>> {
    use rayon::prelude::*;
    RANKS
        .par_iter()
        .map(|&r| match r {
            1 => fit::<1>(planted, budget),
            2 => fit::<2>(planted, budget),
            3 => fit::<3>(planted, budget),
            4 => fit::<4>(planted, budget),
            5 => fit::<5>(planted, budget),
            6 => fit::<6>(planted, budget),
            7 => fit::<7>(planted, budget),
            8 => fit::<8>(planted, budget),
            _ => unreachable!("RANKS lists 1 to 8"),
        })
        .collect()
}
