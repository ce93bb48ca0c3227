//! Generalization: a wide MLP trained on 200 digits fits them perfectly and gets worse on
//! held-out digits; weight decay and dropout shrink the gap, and early stopping picks the
//! checkpoint with the lowest validation loss.

use crate::task::{self, Checkpoint, History, Method, Run, Set, CLASSES};
use crate::Dev;
use anyhow::{Context, Result};
use dfdx::optim::{AdamConfig, WeightDecay};
use dfdx::prelude::*;
use dudl::data::digits::PIXELS;

/// Training images: few enough that the wide MLP can memorize them.
pub const SMALL_TRAIN: usize = 200;
/// Width of the wide MLP's hidden layers.
pub const WIDE: usize = 256;

// ANCHOR: wide
/// 64 → W ReLU → W ReLU → 10, with dropout after each hidden layer.
pub type MlpOfWidth<const W: usize> = (
    (Linear<PIXELS, W>, ReLU, Dropout),
    (Linear<W, W>, ReLU, Dropout),
    Linear<W, CLASSES>,
);
/// The wide MLP, W = 256: about 85,000 parameters.
pub type WideArch = MlpOfWidth<WIDE>;
// ANCHOR_END: wide

/// The built MLP of hidden width `W`.
pub type Built<const W: usize> =
    <MlpOfWidth<W> as BuildOnDevice<Dev, f32>>::Built;

/// A regularizer and its strength.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regularizer {
    None,
    /// AdamW's decoupled weight decay λ.
    WeightDecay(f64),
    /// Dropout with drop probability p after each hidden layer.
    Dropout(f32),
}

impl Regularizer {
    /// The name in figures.
    pub fn name(self) -> String {
        match self {
            Regularizer::None => "no regularization".into(),
            Regularizer::WeightDecay(l) => format!("weight decay λ = {l}"),
            Regularizer::Dropout(p) => format!("dropout p = {p}"),
        }
    }
}

/// A finished run: its history and the checkpoint early stopping picks.
#[derive(Clone, Debug)]
pub struct Fit {
    pub regularizer: Regularizer,
    pub history: History,
    /// The checkpoint with the lowest validation loss.
    pub best: Checkpoint,
    /// Test accuracy of the model at `best` and at the end of training.
    pub test_accuracy_best: f64,
    pub test_accuracy_end: f64,
}

// ANCHOR: early_stopping
/// Trains the MLP of width `W` on `train` with Adam (η = 10⁻³) and
/// `regularizer`, keeping a copy of the model at the checkpoint of lowest
/// validation loss.
pub fn fit<const W: usize>(
    regularizer: Regularizer,
    (train, validation, test): (&Set, &Set, &Set),
    run: Run,
    seed: u64,
) -> Result<Fit> {
    let dev = Dev::seed_from_u64(seed);
    let mut model: Built<W> = dev.build_module::<MlpOfWidth<W>, f32>();
    let (p, weight_decay) = match regularizer {
        Regularizer::None => (0.0, None),
        Regularizer::WeightDecay(l) => (0.0, Some(WeightDecay::Decoupled(l))),
        Regularizer::Dropout(p) => (p, None),
    };
    (model.0 .2.p, model.1 .2.p) = (p, p);
    let cfg = AdamConfig {
        lr: 1e-3,
        weight_decay,
        ..Default::default()
    };
    let mut best: Option<(Checkpoint, Built<W>)> = None;
    let mut keep_best = |m: &Built<W>, c: &Checkpoint| {
        if best
            .as_ref()
            .is_none_or(|(b, _)| c.validation_loss < b.validation_loss)
        {
            best = Some((*c, m.clone()));
        }
    };
    let data = (train, validation);
    let history = task::train(
        &mut model,
        Method::Adam(cfg),
        &|_| 1e-3,
        data,
        run,
        &mut keep_best,
    )?;
    let (best, best_model) =
        best.context("no checkpoint: run.eval_every must be > 0")?;
    Ok(Fit {
        regularizer,
        history,
        best,
        test_accuracy_best: task::evaluate(&best_model, test).1,
        test_accuracy_end: task::evaluate(&model, test).1,
    })
}
// ANCHOR_END: early_stopping

impl Fit {
    /// The checkpoint at the end of training.
    pub fn last(&self) -> &Checkpoint {
        self.history
            .checkpoints
            .last()
            .expect("at least one checkpoint")
    }

    /// The generalization gap at the end: validation loss − training loss.
    pub fn gap(&self) -> f64 {
        self.last().validation_loss - self.last().train_loss
    }
}
