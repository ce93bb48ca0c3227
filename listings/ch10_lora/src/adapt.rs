//! A real adaptation: an MLP pretrained on the handwritten digits 0–4, adapted
//! to the digits 5–9 by training only a new head, a LoRA adapter of rank `r`
//! (and the head), or every weight.

use crate::lora::{FrozenLinear, LoraLinear};
use crate::Dev;
use anyhow::{ensure, Context, Result};
use dfdx::nn::modules::{Linear, ReLU};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::data::digits::{self, PIXELS};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Width of the two hidden layers.
pub const HIDDEN: usize = 128;
/// Classes of each task: digits 0–4 before, 5–9 after.
pub const CLASSES: usize = 5;
/// Images per Adam step.
pub const BATCH: usize = 32;
/// LoRA's `α` (the update is scaled by `α / r`), the same for every rank.
pub const ALPHA: f64 = 16.0;
/// The ranks compared.
pub const RANKS: [usize; 5] = [1, 2, 4, 8, 16];

// ANCHOR: models
/// The pretrained network: two hidden layers and a head over 5 classes.
pub type Mlp = (
    Linear<PIXELS, HIDDEN, f32, Dev>,
    ReLU,
    Linear<HIDDEN, HIDDEN, f32, Dev>,
    ReLU,
    Linear<HIDDEN, CLASSES, f32, Dev>,
);
/// Head-only tuning: the hidden layers frozen, a new head trained.
pub type HeadOnly = (
    FrozenLinear<PIXELS, HIDDEN>,
    ReLU,
    FrozenLinear<HIDDEN, HIDDEN>,
    ReLU,
    Linear<HIDDEN, CLASSES, f32, Dev>,
);
/// LoRA: both hidden layers frozen with a rank-`R` adapter, a new head trained.
pub type Lora<const R: usize> = (
    LoraLinear<PIXELS, HIDDEN, R>,
    ReLU,
    LoraLinear<HIDDEN, HIDDEN, R>,
    ReLU,
    Linear<HIDDEN, CLASSES, f32, Dev>,
);
// ANCHOR_END: models

/// Images with labels in `0..CLASSES`.
#[derive(Clone, Debug, Default)]
pub struct Split {
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<usize>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// One task: the digits `first..first + CLASSES`, relabelled `0..CLASSES`,
/// split into training, validation (to pick a learning rate) and test images.
#[derive(Clone, Debug)]
pub struct Task {
    pub train: Split,
    pub validation: Split,
    pub test: Split,
}

/// Share of a task's images held out for testing.
pub const TEST_SHARE: f64 = 0.5;
/// Share of a task's images held out for validation.
pub const VALIDATION_SHARE: f64 = 0.1;

/// The two tasks from the shipped digits: 0–4 (pretraining) and 5–9
/// (adaptation), each shuffled with `seed` and split by [`TEST_SHARE`] and
/// [`VALIDATION_SHARE`].
pub fn tasks(seed: u64) -> Result<(Task, Task)> {
    let all = digits::load(&digits::default_path())?;
    let task = |first: usize, seed: u64| {
        let mut indices: Vec<usize> = (0..all.labels.len())
            .filter(|&i| (first..first + CLASSES).contains(&all.labels[i]))
            .collect();
        indices.shuffle(&mut StdRng::seed_from_u64(seed));
        let share = |s: f64| (indices.len() as f64 * s).round() as usize;
        let (n_test, n_validation) =
            (share(TEST_SHARE), share(VALIDATION_SHARE));
        let pick = |ids: &[usize]| Split {
            images: ids.iter().map(|&i| all.images[i]).collect(),
            labels: ids.iter().map(|&i| all.labels[i] - first).collect(),
        };
        Task {
            test: pick(&indices[..n_test]),
            validation: pick(&indices[n_test..n_test + n_validation]),
            train: pick(&indices[n_test + n_validation..]),
        }
    };
    Ok((task(0, seed), task(CLASSES, seed + 1)))
}

/// A batch of `n` images, `(n, 64)`.
pub type Images = Tensor<(usize, Const<PIXELS>), f32, Dev>;
/// Their labels one-hot, `(n, 5)`.
pub type OneHot = Tensor<(usize, Const<CLASSES>), f32, Dev>;

/// The images `ids` of `split` and their one-hot labels.
fn batch(dev: &Dev, split: &Split, ids: &[usize]) -> (Images, OneHot) {
    let pixels = ids.iter().flat_map(|&i| split.images[i]).collect();
    let one_hot = ids
        .iter()
        .flat_map(|&i| {
            (0..CLASSES).map(move |c| f32::from(split.labels[i] == c))
        })
        .collect();
    (
        dev.tensor_from_vec(pixels, (ids.len(), Const)),
        dev.tensor_from_vec(one_hot, (ids.len(), Const)),
    )
}

/// How long to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    pub steps: usize,
    pub learning_rate: f64,
}

type Traced = OwnedTape<f32, Dev>;

/// A digit classifier while it trains: a traced batch of images in, traced
/// logits out, and tensors an optimizer can walk.
pub trait Trainable:
    TensorCollection<f32, Dev>
    + Module<
        Tensor<(usize, Const<PIXELS>), f32, Dev, Traced>,
        Output = Tensor<(usize, Const<CLASSES>), f32, Dev, Traced>,
        Error = <Dev as HasErr>::Err,
    >
{
}

impl<M> Trainable for M where
    M: TensorCollection<f32, Dev>
        + Module<
            Tensor<(usize, Const<PIXELS>), f32, Dev, Traced>,
            Output = Tensor<(usize, Const<CLASSES>), f32, Dev, Traced>,
            Error = <Dev as HasErr>::Err,
        >
{
}

/// A digit classifier at test time: a batch of images in, logits out.
pub trait Classifier:
    Module<Images, Output = Logits, Error = <Dev as HasErr>::Err>
{
}

impl<M> Classifier for M where
    M: Module<Images, Output = Logits, Error = <Dev as HasErr>::Err>
{
}

/// Logits of a batch, `(n, 5)`.
pub type Logits = Tensor<(usize, Const<CLASSES>), f32, Dev>;

// ANCHOR: train
/// Trains whatever `model` leaves trainable with Adam and cross-entropy, on
/// batches of [`BATCH`] images drawn in a seeded order. Returns the last step's
/// loss.
pub fn train<M: Trainable>(
    model: &mut M,
    data: &Split,
    schedule: Schedule,
    seed: u64,
) -> Result<f64> {
    ensure!(
        data.len() >= BATCH,
        "{} images, fewer than a batch",
        data.len()
    );
    let dev = Dev::seed_from_u64(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut opt = Adam::new(
        model,
        AdamConfig {
            lr: schedule.learning_rate,
            ..Default::default()
        },
    );
    let mut grads = model.alloc_grads();
    let mut loss_value = f64::NAN;
    for step in 0..schedule.steps {
        let start = (step * BATCH) % (data.len() - data.len() % BATCH);
        if start == 0 {
            order.shuffle(&mut rng);
        }
        let (x, y) = batch(&dev, data, &order[start..start + BATCH]);
        let logits = model.try_forward(x.traced(grads))?;
        let loss = cross_entropy_with_logits_loss(logits, y);
        loss_value = loss.array() as f64;
        grads = loss.backward();
        opt.update(model, &grads)
            .context("the optimizer step failed")?;
        model.zero_grads(&mut grads);
    }
    Ok(loss_value)
}
// ANCHOR_END: train

/// Share of `data` that `model` classifies right.
pub fn accuracy<M: Classifier>(model: &M, data: &Split) -> Result<f64> {
    let dev = Dev::default();
    let ids: Vec<usize> = (0..data.len()).collect();
    let (x, _) = batch(&dev, data, &ids);
    let logits = model.try_forward(x)?.as_vec();
    let right = logits
        .chunks(CLASSES)
        .zip(&data.labels)
        .filter(|(row, &label)| argmax(row) == label)
        .count();
    Ok(right as f64 / data.len() as f64)
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .expect("a row has entries")
}

/// How the pretrained network is adapted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    HeadOnly,
    Lora(usize),
    Full,
}

impl Method {
    /// Every method the chapter compares, cheapest first.
    pub fn all() -> Vec<Method> {
        let mut methods = vec![Method::HeadOnly];
        methods.extend(RANKS.iter().map(|&r| Method::Lora(r)));
        methods.push(Method::Full);
        methods
    }

    pub fn label(&self) -> String {
        match self {
            Method::HeadOnly => "head only".into(),
            Method::Lora(r) => format!("LoRA r = {r}"),
            Method::Full => "full fine-tuning".into(),
        }
    }
}

/// What one adaptation reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub method: Method,
    pub seed: u64,
    pub learning_rate: f64,
    /// Counted by dfdx from the adapted model: tensors not registered as
    /// detached.
    pub trainable: usize,
    /// On the 5–9 validation images (what picks the learning rate).
    pub validation: f64,
    /// On the 5–9 test images.
    pub accuracy: f64,
    /// The update of the second hidden layer, `W_after − W_before`, row-major
    /// `HIDDEN × HIDDEN` (zero for head-only tuning).
    pub delta: Vec<f64>,
}

/// Pretrains the [`Mlp`] on `source` from `seed`.
pub fn pretrain(source: &Task, schedule: Schedule, seed: u64) -> Result<Mlp> {
    let dev = Dev::seed_from_u64(seed);
    let mut mlp: Mlp = BuildModule::build(&dev);
    train(&mut mlp, &source.train, schedule, seed)?;
    Ok(mlp)
}

// ANCHOR: adapt
/// Adapts a copy of `pretrained` to `target` with `method`. The new head, the
/// adapters' `A` and the batch order come from `seed`.
pub fn adapt(
    pretrained: &Mlp,
    target: &Task,
    method: Method,
    schedule: Schedule,
    seed: u64,
) -> Result<Outcome> {
    let dev = Dev::seed_from_u64(seed);
    let (l1, _, l2, _, _) = pretrained.to_device(&dev);
    let head: Linear<HIDDEN, CLASSES, f32, Dev> = BuildModule::build(&dev);
    let run = Run {
        target,
        method,
        schedule,
        seed,
        before: weights(&l2.weight),
    };
    match method {
        Method::HeadOnly => {
            let model: HeadOnly = (l1.into(), ReLU, l2.into(), ReLU, head);
            run.train(model, |m| weights(&m.2.weight))
        }
        Method::Lora(1) => run.train(lora::<1>(l1, l2, head), lora_update),
        Method::Lora(2) => run.train(lora::<2>(l1, l2, head), lora_update),
        Method::Lora(4) => run.train(lora::<4>(l1, l2, head), lora_update),
        Method::Lora(8) => run.train(lora::<8>(l1, l2, head), lora_update),
        Method::Lora(16) => run.train(lora::<16>(l1, l2, head), lora_update),
        Method::Lora(r) => anyhow::bail!("rank {r} is not one of {RANKS:?}"),
        Method::Full => {
            let model: Mlp = (l1, ReLU, l2, ReLU, head);
            run.train(model, |m| weights(&m.2.weight))
        }
    }
}

/// The pretrained hidden layers with rank-`R` adapters, and a new head.
fn lora<const R: usize>(
    l1: Linear<PIXELS, HIDDEN, f32, Dev>,
    l2: Linear<HIDDEN, HIDDEN, f32, Dev>,
    head: Linear<HIDDEN, CLASSES, f32, Dev>,
) -> Lora<R> {
    let l1 = LoraLinear::adapt(l1, ALPHA);
    (l1, ReLU, LoraLinear::adapt(l2, ALPHA), ReLU, head)
}
// ANCHOR_END: adapt

/// The second hidden layer's weight as LoRA leaves it once merged.
fn lora_update<const R: usize>(model: &Lora<R>) -> Vec<f64> {
    weights(&model.2.merge().weight)
}

fn weights(t: &Tensor<Rank2<HIDDEN, HIDDEN>, f32, Dev>) -> Vec<f64> {
    t.as_vec().into_iter().map(f64::from).collect()
}

/// One adaptation run, for any of the three kinds of model.
struct Run<'a> {
    target: &'a Task,
    method: Method,
    schedule: Schedule,
    seed: u64,
    /// The second hidden layer's pretrained weight.
    before: Vec<f64>,
}

impl Run<'_> {
    /// Trains `model`, then measures it; `second_layer` reads its second hidden
    /// weight.
    fn train<M: Trainable + Classifier>(
        self,
        mut model: M,
        second_layer: impl Fn(&M) -> Vec<f64>,
    ) -> Result<Outcome> {
        train(&mut model, &self.target.train, self.schedule, self.seed)?;
        let after = second_layer(&model);
        Ok(Outcome {
            method: self.method,
            seed: self.seed,
            learning_rate: self.schedule.learning_rate,
            trainable: model.num_trainable_params(),
            validation: accuracy(&model, &self.target.validation)?,
            accuracy: accuracy(&model, &self.target.test)?,
            delta: after.iter().zip(&self.before).map(|(a, b)| a - b).collect(),
        })
    }
}

/// One method over all seeds, at the learning rate with the best mean
/// validation accuracy.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub method: Method,
    pub trainable: usize,
    pub learning_rate: f64,
    /// Test accuracy, one per seed.
    pub accuracies: Vec<f64>,
    /// The second hidden layer's update, one per seed.
    pub updates: Vec<Vec<f64>>,
}

impl Comparison {
    /// Mean test accuracy over the seeds.
    pub fn mean(&self) -> f64 {
        self.accuracies.iter().sum::<f64>() / self.accuracies.len() as f64
    }
}

/// What the adaptation experiment trains.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub pretrain: Schedule,
    /// Adam steps of every adaptation.
    pub steps: usize,
    /// The learning rates each method tries; validation picks one.
    pub learning_rates: Vec<f64>,
    /// One pretrained network and one adaptation per method for each seed.
    pub seeds: Vec<u64>,
}

/// The experiment's results.
#[derive(Clone, Debug)]
pub struct Adaptation {
    pub source: Task,
    pub target: Task,
    /// Each pretrained network's accuracy on the 0–4 test images.
    pub pretrained_accuracy: Vec<f64>,
    /// One per method, in [`Method::all`]'s order.
    pub comparisons: Vec<Comparison>,
}

impl Adaptation {
    /// The comparison of `method`.
    pub fn of(&self, method: Method) -> Result<&Comparison> {
        self.comparisons
            .iter()
            .find(|c| c.method == method)
            .with_context(|| format!("{} was not run", method.label()))
    }
}

/// Pretrains one network per seed, then adapts each with every method and
/// learning rate, all on separate threads; keeps, per method, the learning rate
/// validation prefers.
pub fn run_experiment(budget: &Budget) -> Result<Adaptation> {
    use rayon::prelude::*;
    use std::sync::Mutex;
    let (source, target) = tasks(SPLIT_SEED)?;
    let jobs: Vec<(usize, Method, f64)> = (0..budget.seeds.len())
        .flat_map(|s| Method::all().into_iter().map(move |m| (s, m)))
        .flat_map(|(s, m)| {
            budget.learning_rates.iter().map(move |&lr| (s, m, lr))
        })
        .collect();
    let progress = Mutex::new(dudl::progress::Progress::new(
        "pretrain and adapt",
        budget.seeds.len() + jobs.len(),
    ));
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Ok(mut bar) = progress.lock() {
            bar.update(n, "");
        }
    };
    let pretrained: Vec<Mlp> = budget
        .seeds
        .par_iter()
        .map(|&seed| {
            let mlp = pretrain(&source, budget.pretrain, seed);
            tick();
            mlp
        })
        .collect::<Result<_>>()?;
    let outcomes: Vec<Outcome> = jobs
        .par_iter()
        .map(|&(s, method, learning_rate)| {
            let schedule = Schedule {
                steps: budget.steps,
                learning_rate,
            };
            let outcome = adapt(
                &pretrained[s],
                &target,
                method,
                schedule,
                budget.seeds[s],
            );
            tick();
            outcome
        })
        .collect::<Result<_>>()?;
    let pretrained_accuracy = pretrained
        .iter()
        .map(|mlp| accuracy(mlp, &source.test))
        .collect::<Result<_>>()?;
    let comparisons = Method::all()
        .into_iter()
        .map(|method| {
            pick_learning_rate(method, &outcomes, &budget.learning_rates)
        })
        .collect::<Result<_>>()?;
    progress
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a training thread panicked"))?
        .finish(format!("{} runs", jobs.len()));
    Ok(Adaptation {
        source,
        target,
        pretrained_accuracy,
        comparisons,
    })
}

/// Seed of the split of the digits into tasks and into training, validation and
/// test sets.
pub const SPLIT_SEED: u64 = 11;

/// The learning rate (the smallest of ties) with the best validation accuracy
/// averaged over the seeds, and the test accuracies it gave.
fn pick_learning_rate(
    method: Method,
    outcomes: &[Outcome],
    rates: &[f64],
) -> Result<Comparison> {
    let at = |lr: f64| {
        outcomes
            .iter()
            .filter(move |o| o.method == method && o.learning_rate == lr)
    };
    let validation = |lr: f64| at(lr).map(|o| o.validation).sum::<f64>();
    let best = rates
        .iter()
        .copied()
        .fold(None, |best: Option<f64>, lr| match best {
            Some(b) if validation(b) >= validation(lr) => Some(b),
            _ => Some(lr),
        })
        .context("no learning rate to try")?;
    let runs: Vec<&Outcome> = at(best).collect();
    Ok(Comparison {
        method,
        trainable: runs.first().context("no run")?.trainable,
        learning_rate: best,
        accuracies: runs.iter().map(|o| o.accuracy).collect(),
        updates: runs.iter().map(|o| o.delta.clone()).collect(),
    })
}
