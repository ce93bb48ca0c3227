//! The chapter's training experiments on the digits, sized by a [`Budget`].

use crate::generalization::{self, Fit, Regularizer};
use crate::init::{self, Init};
use crate::schedules;
use crate::task::{self, History, Method, Mlp, MlpArch, Run, Split};
use crate::Dev;
use anyhow::Result;
use dfdx::optim::{AdamConfig, Momentum, RMSpropConfig, SgdConfig};
use dfdx::prelude::*;

/// How long each experiment trains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Steps of each optimizer on the real task, and of each schedule.
    pub steps: usize,
    /// Steps of the 30-layer network.
    pub deep_steps: usize,
    /// Steps of the range test.
    pub range_steps: usize,
    /// Steps of the wide MLP on 200 images.
    pub overfit_steps: usize,
}

impl Budget {
    /// `cargo run --release` (`quick = false`) or the tests' budget.
    pub fn new(quick: bool) -> Budget {
        if quick {
            Budget {
                steps: 600,
                deep_steps: 300,
                range_steps: 200,
                overfit_steps: 600,
            }
        } else {
            Budget {
                steps: 1500,
                deep_steps: 600,
                range_steps: 300,
                overfit_steps: 1500,
            }
        }
    }
}

/// Minibatch size of every experiment but the overfitting one.
pub const BATCH: usize = 32;
/// Seed of every network's initialization and minibatch order.
pub const SEED: u64 = 23;

/// A labelled training run.
#[derive(Clone, Debug)]
pub struct Curve {
    pub name: String,
    pub history: History,
}

fn small_mlp() -> Mlp {
    Dev::seed_from_u64(SEED).build_module::<MlpArch, f32>()
}

fn run(steps: usize) -> Run {
    Run {
        steps,
        batch: BATCH,
        eval_every: 0,
        seed: SEED,
    }
}

/// The optimizers compared on the real task, each with its own learning rate.
pub fn optimizer_methods() -> Vec<(&'static str, Method)> {
    let sgd = |lr, momentum| {
        Method::Sgd(SgdConfig {
            lr,
            momentum,
            weight_decay: None,
        })
    };
    vec![
        ("SGD η = 0.1", sgd(0.1, None)),
        (
            "SGD + momentum 0.9, η = 0.01",
            sgd(0.01, Some(Momentum::Classic(0.9))),
        ),
        (
            "RMSprop η = 10⁻³",
            Method::RmsProp(RMSpropConfig {
                lr: 1e-3,
                ..Default::default()
            }),
        ),
        (
            "Adam η = 10⁻³",
            Method::Adam(AdamConfig {
                lr: 1e-3,
                ..Default::default()
            }),
        ),
    ]
}

/// Trains the small MLP with each optimizer of [`optimizer_methods`].
pub fn optimizers(split: &Split, budget: &Budget) -> Result<Vec<Curve>> {
    optimizer_methods()
        .into_iter()
        .map(|(name, method)| {
            let lr = method.lr();
            let data = (&split.train, &split.validation);
            let history = task::train(
                &mut small_mlp(),
                method,
                &|_| lr,
                data,
                run(budget.steps),
                &mut |_, _| {},
            )?;
            Ok(Curve {
                name: name.into(),
                history,
            })
        })
        .collect()
}

/// Trains the 30-layer network from each initialization with SGD + momentum.
pub fn deep(split: &Split, budget: &Budget) -> Result<Vec<(Init, History)>> {
    Init::ALL
        .iter()
        .map(|&init| {
            let mut model = init::deep(init, SEED);
            let method = Method::Sgd(SgdConfig {
                lr: DEEP_LR,
                momentum: Some(Momentum::Classic(0.9)),
                weight_decay: None,
            });
            let data = (&split.train, &split.validation);
            let history = task::train(
                &mut model,
                method,
                &|_| DEEP_LR,
                data,
                run(budget.deep_steps),
                &mut |_, _| {},
            )?;
            Ok((init, history))
        })
        .collect()
}

/// Learning rate of the 30-layer network.
pub const DEEP_LR: f64 = 0.01;
/// Peak learning rate of the schedules (SGD + momentum 0.9).
pub const SCHEDULE_LR: f64 = 0.15;
/// A peak learning rate too large to start with: warm-up makes it usable.
pub const WARMUP_LR: f64 = 0.3;

/// A learning-rate schedule: η as a function of (step, total steps).
pub type Schedule = Box<dyn Fn(usize, usize) -> f64 + Send + Sync>;

/// The schedules compared, peaking at `peak`; the warm-up lasts a tenth of the run.
pub fn schedule_list(peak: f64) -> Vec<(&'static str, Schedule)> {
    vec![
        ("constant", Box::new(move |_, _| peak)),
        (
            "step decay",
            Box::new(move |t, n| schedules::step_decay(peak, t, n)),
        ),
        (
            "cosine",
            Box::new(move |t, n| schedules::cosine(peak, t, n)),
        ),
        (
            "warm-up + cosine",
            Box::new(move |t, n| {
                schedules::warmup(schedules::cosine(peak, t, n), t, n / 10)
            }),
        ),
    ]
}

/// Trains the small MLP with SGD + momentum 0.9 under each of `list`; returns each run's
/// history and its final loss on the whole training set.
pub fn schedules_run(
    split: &Split,
    budget: &Budget,
    list: Vec<(&'static str, Schedule)>,
) -> Result<Vec<(Curve, f64)>> {
    list.into_iter()
        .map(|(name, schedule)| {
            let mut model = small_mlp();
            let method = Method::Sgd(SgdConfig {
                lr: schedule(0, budget.steps),
                momentum: Some(Momentum::Classic(0.9)),
                weight_decay: None,
            });
            let steps = budget.steps;
            let data = (&split.train, &split.validation);
            let lr_at = |t| schedule(t, steps);
            let history = task::train(
                &mut model,
                method,
                &lr_at,
                data,
                run(steps),
                &mut |_, _| {},
            )?;
            let (train_loss, _) = task::evaluate(&model, &split.train);
            Ok((
                Curve {
                    name: name.into(),
                    history,
                },
                train_loss,
            ))
        })
        .collect()
}

/// The range test: SGD + momentum with η growing from 10⁻⁴ to 10 over the run; returns
/// (η, minibatch loss) per step, stopped once the loss passes 4× the best.
pub fn range_test(split: &Split, budget: &Budget) -> Result<Vec<(f64, f64)>> {
    let rates = schedules::range_test_rates(1e-4, 10.0, budget.range_steps);
    let method = Method::Sgd(SgdConfig {
        lr: rates[0],
        momentum: Some(Momentum::Classic(0.9)),
        weight_decay: None,
    });
    let data = (&split.train, &split.validation);
    let history = task::train(
        &mut small_mlp(),
        method,
        &|t| rates[t],
        data,
        run(rates.len()),
        &mut |_, _| {},
    );
    // A diverged run ends the test: keep what came before.
    let losses = match history {
        Ok(h) => h.losses,
        Err(_) => Vec::new(),
    };
    let mut best = f64::INFINITY;
    Ok(rates
        .into_iter()
        .zip(losses)
        .take_while(|&(_, loss)| {
            best = best.min(loss);
            loss <= 4.0 * best
        })
        .collect())
}

/// The wide MLP on 200 images with no regularizer, weight decay and dropout.
pub fn overfitting(split: &Split, budget: &Budget) -> Result<Vec<Fit>> {
    let train = split.train.first(generalization::SMALL_TRAIN);
    let run = Run {
        steps: budget.overfit_steps,
        batch: 50,
        eval_every: 25,
        seed: SEED,
    };
    [
        Regularizer::None,
        Regularizer::WeightDecay(WEIGHT_DECAY),
        Regularizer::Dropout(DROPOUT),
    ]
    .into_iter()
    .map(|r| {
        generalization::fit::<{ generalization::WIDE }>(
            r,
            (&train, &split.validation, &split.test),
            run,
            SEED,
        )
    })
    .collect()
}

/// Decoupled weight decay λ of the overfitting experiment.
pub const WEIGHT_DECAY: f64 = 1.0;
/// Dropout probability of the overfitting experiment.
pub const DROPOUT: f32 = 0.5;

/// Hidden widths of the capacity sweep (the widest is the overfitting experiment's).
pub const WIDTHS: [usize; 4] = [8, 16, 64, generalization::WIDE];

/// The MLP of each width in [`WIDTHS`] but the last, trained without regularization on the
/// 200 images as in [`overfitting`].
pub fn capacity(split: &Split, budget: &Budget) -> Result<Vec<Fit>> {
    let train = split.train.first(generalization::SMALL_TRAIN);
    let run = Run {
        steps: budget.overfit_steps,
        batch: 50,
        eval_every: 25,
        seed: SEED,
    };
    let sets = (&train, &split.validation, &split.test);
    let none = Regularizer::None;
    Ok(vec![
        generalization::fit::<{ WIDTHS[0] }>(none, sets, run, SEED)?,
        generalization::fit::<{ WIDTHS[1] }>(none, sets, run, SEED)?,
        generalization::fit::<{ WIDTHS[2] }>(none, sets, run, SEED)?,
    ])
}
