//! The ε-predictor: a small MLP that reads a noisy point and a sinusoidal
//! embedding of its time step, and its training with the simplified loss.

use crate::sample::normal;
use crate::schedule::{noisy, Schedule};
use anyhow::Result;
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Width of the time embedding (half sines, half cosines).
pub const EMBED: usize = 32;

// ANCHOR: embedding
/// The sinusoidal embedding of step `t` (Vaswani et al.'s positional code):
/// pairs sin(t ω_k), cos(t ω_k) with frequencies ω_k = 10000^(−k/(E/2)).
pub fn time_embedding(t: usize) -> [f32; EMBED] {
    let mut e = [0.0; EMBED];
    for k in 0..EMBED / 2 {
        let omega = 10000f64.powf(-(k as f64) / (EMBED / 2) as f64);
        e[k] = (t as f64 * omega).sin() as f32;
        e[k + EMBED / 2] = (t as f64 * omega).cos() as f32;
    }
    e
}
// ANCHOR_END: embedding

// ANCHOR: model
/// ε̂_θ(x_t, t) for points of `D` coordinates: the input row
/// [x_t, embedding(t)] has `IN` = D + EMBED numbers; three hidden layers of
/// `H` units; the time enters through the input.
pub type EpsMlp<const IN: usize, const H: usize, const D: usize> =
    GeneralizedResidual<
        (
            (Linear<IN, H>, ReLU),
            (Linear<H, H>, ReLU),
            (Linear<H, H>, ReLU),
            Linear<H, D>,
        ),
        Linear<IN, D>,
    >;
/// The built network on the CPU.
pub type EpsNet<const IN: usize, const H: usize, const D: usize> =
    <EpsMlp<IN, H, D> as BuildOnDevice<Cpu, f32>>::Built;
/// The denoiser of points in the plane: 2 + 32 inputs, 128 hidden units.
pub type MoonsNet = EpsNet<{ 2 + EMBED }, 128, 2>;
// ANCHOR_END: model

/// The network's input rows `[x_t, embedding(t)]` as an `(n, IN)` tensor.
pub fn inputs<const D: usize, const IN: usize>(
    dev: &Cpu,
    x: &[[f32; D]],
    t: &[usize],
) -> Tensor<(usize, Const<IN>), f32, Cpu> {
    assert_eq!(IN, D + EMBED, "the input row is a point and its embedding");
    let mut flat = Vec::with_capacity(x.len() * IN);
    for (point, &step) in x.iter().zip(t) {
        flat.extend_from_slice(point);
        flat.extend_from_slice(&time_embedding(step));
    }
    dev.tensor_from_vec(flat, (x.len(), Const::<IN>))
}

/// ε̂_θ(x_t, t) for a batch of points that share the step `t`.
pub fn predict<const IN: usize, const H: usize, const D: usize>(
    net: &EpsNet<IN, H, D>,
    x: &[[f32; D]],
    t: usize,
) -> Vec<[f32; D]> {
    let dev = net.r.weight.device().clone();
    let embedding = time_embedding(t); // shared by the batch: computed once
    let mut flat = Vec::with_capacity(x.len() * IN);
    for point in x {
        flat.extend_from_slice(point);
        flat.extend_from_slice(&embedding);
    }
    let rows = dev.tensor_from_vec(flat, (x.len(), Const::<IN>));
    let out = net.forward(rows).as_vec();
    out.chunks_exact(D)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect()
}

/// How long and how fast to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
}

impl Budget {
    /// The learning rate at step `step` of `1..=steps`: `lr` decayed to zero
    /// on a cosine, lr · ½ (1 + cos(π step / steps)).
    pub fn cosine_lr(&self, step: usize) -> f64 {
        let done = step as f64 / self.steps as f64;
        self.lr * 0.5 * (1.0 + (std::f64::consts::PI * done).cos())
    }
}

// ANCHOR: train_step
/// One Adam step on the simplified loss of Ho et al.:
/// L = E_{t, x_0, ε} ‖ε − ε̂_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖².
pub fn train_step<const IN: usize, const H: usize, const D: usize>(
    net: &mut EpsNet<IN, H, D>,
    adam: &mut Adam<EpsNet<IN, H, D>, f32, Cpu>,
    schedule: &Schedule,
    x0: &[[f32; D]],
    rng: &mut StdRng,
) -> Result<f32> {
    let dev = net.r.weight.device().clone();
    let n = x0.len();
    let t: Vec<usize> = (0..n)
        .map(|_| rng.gen_range(1..=schedule.steps()))
        .collect();
    let eps: Vec<[f32; D]> = (0..n).map(|_| normal(rng)).collect();
    let x_t: Vec<[f32; D]> = (0..n)
        .map(|i| {
            let x = noisy(schedule, &x0[i], t[i], &eps[i]);
            std::array::from_fn(|j| x[j])
        })
        .collect();
    let target = dev.tensor_from_vec(eps.concat(), (n, Const::<D>));
    let grads = net.alloc_grads();
    let rows = inputs::<D, IN>(&dev, &x_t, &t);
    let predicted = net.forward_mut(rows.traced(grads));
    let loss = mse_loss(predicted, target);
    let value = loss.array();
    let grads = loss.backward();
    adam.update(net, &grads)
        .map_err(|err| anyhow::anyhow!("Adam update failed: {err:?}"))?;
    Ok(value)
}
// ANCHOR_END: train_step

/// Trains a fresh network (weights from `seed`) on `data` under `schedule`;
/// returns it with the loss averaged over each tenth of training.
pub fn train<const IN: usize, const H: usize, const D: usize>(
    data: &[[f32; D]],
    schedule: &Schedule,
    budget: Budget,
    seed: u64,
) -> Result<(EpsNet<IN, H, D>, Vec<f32>)> {
    anyhow::ensure!(
        IN == D + EMBED,
        "the denoiser's input width {IN} must be the data's {D} plus {EMBED}"
    );
    let dev = Cpu::seed_from_u64(seed);
    let mut net = dev.build_module::<EpsMlp<IN, H, D>, f32>();
    let mut adam = Adam::new(
        &net,
        AdamConfig {
            lr: budget.lr,
            ..Default::default()
        },
    );
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut curve = Vec::new();
    let chunk = (budget.steps / 10).max(1);
    let mut sum = 0.0;
    for step in 1..=budget.steps {
        adam.cfg.lr = budget.cosine_lr(step);
        let batch: Vec<[f32; D]> = (0..budget.batch)
            .map(|_| data[rng.gen_range(0..data.len())])
            .collect();
        sum += train_step(&mut net, &mut adam, schedule, &batch, &mut rng)?;
        if step % chunk == 0 {
            curve.push(sum / chunk as f32);
            sum = 0.0;
        }
    }
    Ok((net, curve))
}
