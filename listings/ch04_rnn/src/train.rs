//! Training a recurrent cell with a linear read-out on the adding problem.

use crate::adding::{sample, AddingBatch, INPUTS};
use crate::cells::{Batch, Recurrent};
use crate::clipping::{clip_gradient_norm, gradient_norm};
use crate::Dev;
use anyhow::{anyhow, ensure, Context, Result};
use dfdx::nn::modules::Linear;
use dfdx::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sequences per training step.
pub const BATCH: usize = 32;
/// Held-out sequences, evaluated as one batch.
pub const HELD_OUT: usize = 256;

// ANCHOR: regressor
/// A recurrent cell `C` with `H` hidden units and a linear read-out of its last
/// state: `ŷ = w · h_T + b`.
#[derive(Clone, Debug)]
pub struct Regressor<C, const H: usize, E: Dtype = f32, D: Storage<E> = Dev> {
    pub cell: C,
    pub readout: Linear<H, 1, E, D>,
}

impl<C: Recurrent<INPUTS, H>, const H: usize> Regressor<C, H> {
    /// Predictions `(B, 1)` for the sequences `xs`; `h0` is the zero state with
    /// the tape.
    pub fn predict<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, INPUTS>],
    ) -> Batch<B, 1, Tp> {
        let (h_last, _) = self.cell.run(h0, xs);
        self.readout.forward(h_last)
    }
}
// ANCHOR_END: regressor

impl<C: TensorCollection<f32, D>, const H: usize, D: Device<f32>>
    TensorCollection<f32, D> for Regressor<C, H, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Regressor<C::To<E2, D2>, H, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("cell", |s| &s.cell, |s| &mut s.cell),
                Self::module("readout", |s| &s.readout, |s| &mut s.readout),
            ),
            |(cell, readout)| Regressor { cell, readout },
        )
    }
}

/// Which optimizer takes the steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// Adam with learning rate η.
    Adam,
    /// Plain stochastic gradient descent, `θ ← θ − η g`.
    Sgd,
}

/// How to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub steps: usize,
    /// Sequence length `T`.
    pub len: usize,
    pub method: Method,
    pub learning_rate: f64,
    /// Clip the gradient norm to this value, or not at all.
    pub clip: Option<f64>,
    /// Points on the training curve.
    pub evaluations: usize,
    /// Seeds the training stream (the held-out set and the weights are seeded
    /// apart).
    pub seed: u64,
}

/// One point of a training curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub step: usize,
    /// Mean training loss over the steps since the last point (`∞` once it is
    /// not finite).
    pub loss: f64,
    /// Mean squared error on the held-out sequences.
    pub held_out: f64,
    /// The largest gradient norm since the last point, before clipping.
    pub max_gradient_norm: f64,
}

/// A trained model and its curve.
pub struct Trained<C, const H: usize> {
    pub model: Regressor<C, H>,
    pub curve: Vec<CurvePoint>,
}

impl<C, const H: usize> Trained<C, H> {
    /// The held-out error at the end of training.
    pub fn final_mse(&self) -> f64 {
        self.curve.last().map_or(f64::NAN, |p| p.held_out)
    }
}

/// The held-out set: `HELD_OUT` sequences of length `len` from `seed`.
pub fn held_out_set(dev: &Dev, len: usize, seed: u64) -> AddingBatch<HELD_OUT> {
    sample(dev, &mut StdRng::seed_from_u64(seed), len)
}

/// Mean squared error of `model` on `batch`.
pub fn mse<C: Recurrent<INPUTS, H>, const H: usize, const B: usize>(
    model: &Regressor<C, H>,
    batch: &AddingBatch<B>,
) -> f64 {
    let dev = batch.targets.device();
    let predictions = model.predict(dev.zeros(), &batch.xs);
    mse_loss(predictions, batch.targets.clone()).array() as f64
}

// ANCHOR: step
/// One training step: forward over the sequences on one tape, backward
/// through time, optional clipping to norm `clip`, one optimizer step. Takes
/// the zeroed gradient buffers and hands them back with the batch's loss and
/// the gradient norm before clipping.
pub fn train_step<C, const H: usize, O>(
    model: &mut Regressor<C, H>,
    optimizer: &mut O,
    grads: Gradients<f32, Dev>,
    batch: AddingBatch<BATCH>,
    clip: Option<f64>,
) -> Result<(f64, f64, Gradients<f32, Dev>)>
where
    C: Recurrent<INPUTS, H> + TensorCollection<f32, Dev>,
    O: Optimizer<Regressor<C, H>, Dev, f32>,
{
    let h0 = batch.targets.device().zeros().traced(grads);
    let loss = mse_loss(model.predict(h0, &batch.xs), batch.targets);
    let value = loss.array() as f64;
    let mut grads = loss.backward();
    let norm = match clip {
        Some(tau) => clip_gradient_norm(model, &mut grads, tau)?,
        None => gradient_norm(model, &mut grads)?,
    };
    optimizer
        .update(model, &grads)
        .map_err(|err| anyhow!("optimizer update: {err:?}"))?;
    model.zero_grads(&mut grads);
    Ok((value, norm, grads))
}
// ANCHOR_END: step

/// Trains `model` on fresh batches from `budget.seed`, recording a curve
/// point `budget.evaluations` times.
fn fit<C, const H: usize, O>(
    mut model: Regressor<C, H>,
    mut optimizer: O,
    budget: &Budget,
    held_out: &AddingBatch<HELD_OUT>,
    done: &AtomicUsize,
) -> Result<Trained<C, H>>
where
    C: Recurrent<INPUTS, H> + TensorCollection<f32, Dev>,
    O: Optimizer<Regressor<C, H>, Dev, f32>,
{
    let dev = held_out.targets.device().clone();
    let mut rng = StdRng::seed_from_u64(budget.seed);
    let mut grads = model.alloc_grads();
    let every = budget.steps.div_ceil(budget.evaluations);
    let (mut curve, mut losses, mut max_norm) = (Vec::new(), Vec::new(), 0f64);
    for step in 1..=budget.steps {
        let batch = sample::<BATCH>(&dev, &mut rng, budget.len);
        let (loss, norm, used) =
            train_step(&mut model, &mut optimizer, grads, batch, budget.clip)
                .with_context(|| format!("training step {step}"))?;
        grads = used;
        losses.push(loss);
        // A NaN gradient counts as infinite (f64::max would skip it).
        max_norm =
            max_norm.max(if norm.is_nan() { f64::INFINITY } else { norm });
        done.fetch_add(1, Ordering::Relaxed);
        if step % every == 0 || step == budget.steps {
            let loss = losses.iter().sum::<f64>() / losses.len() as f64;
            curve.push(CurvePoint {
                step,
                loss: if loss.is_finite() {
                    loss
                } else {
                    f64::INFINITY
                },
                held_out: mse(&model, held_out),
                max_gradient_norm: max_norm,
            });
            (losses, max_norm) = (Vec::new(), 0.0);
        }
    }
    ensure!(!curve.is_empty(), "no evaluation was recorded");
    Ok(Trained { model, curve })
}

/// Trains `cell` with a fresh read-out (seeded by `dev`) on `budget`, adding
/// one to `done` after every step (for a progress bar).
pub fn train<C, const H: usize>(
    dev: &Dev,
    cell: C,
    budget: Budget,
    held_out: &AddingBatch<HELD_OUT>,
    done: &AtomicUsize,
) -> Result<Trained<C, H>>
where
    C: Recurrent<INPUTS, H> + TensorCollection<f32, Dev>,
{
    ensure!(
        budget.steps > 0 && budget.evaluations > 0 && budget.len >= 2,
        "the budget needs steps, evaluations and sequences of length 2 or more: {budget:?}"
    );
    let model = Regressor {
        cell,
        readout: dev.build_module::<dfdx::nn::builders::Linear<H, 1>, f32>(),
    };
    let lr = budget.learning_rate;
    match budget.method {
        Method::Adam => {
            let config = AdamConfig {
                lr,
                ..Default::default()
            };
            let adam = Adam::new(&model, config);
            fit(model, adam, &budget, held_out, done)
        }
        Method::Sgd => {
            let config = SgdConfig {
                lr,
                ..Default::default()
            };
            let sgd = Sgd::new(&model, config);
            fit(model, sgd, &budget, held_out, done)
        }
    }
}
