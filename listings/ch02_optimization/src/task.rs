//! The real task: classifying the UCI 8 × 8 digits with an MLP in dfdx, the split into
//! training, validation and test sets, and one training loop for every optimizer.

use crate::Dev;
use anyhow::{anyhow, ensure, Result};
use dfdx::optim::{
    Adam, AdamConfig, Optimizer, RMSprop, RMSpropConfig, Sgd, SgdConfig,
};
use dfdx::prelude::*;
use dudl::data::digits::{self, PIXELS};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Digit classes.
pub const CLASSES: usize = 10;
/// Images in the validation set and in the test set; the training set gets the rest.
pub const HELD_OUT: usize = 400;
/// Seed of the shuffle that splits the digits.
pub const SPLIT_SEED: u64 = 20;

/// Labelled images: `images[i]` shows `labels[i]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Set {
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<usize>,
}

/// The three sets of the digits (997 / 400 / 400 images).
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Set,
    pub validation: Set,
    pub test: Set,
}

impl Set {
    /// How many images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The first `n` images.
    pub fn first(&self, n: usize) -> Set {
        let n = n.min(self.len());
        Set {
            images: self.images[..n].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// The images `indices` as a batch `X ∈ ℝ^(B×64)` and their one-hot labels.
    pub fn batch(&self, dev: &Dev, indices: &[usize]) -> (Inputs, Targets) {
        let x = indices.iter().flat_map(|&i| self.images[i]).collect();
        let mut y = vec![0.0; indices.len() * CLASSES];
        for (row, &i) in indices.iter().enumerate() {
            y[row * CLASSES + self.labels[i]] = 1.0;
        }
        let b = indices.len();
        (
            dev.tensor_from_vec(x, (b, Const)),
            dev.tensor_from_vec(y, (b, Const)),
        )
    }

    /// The whole set as one batch.
    pub fn all(&self, dev: &Dev) -> (Inputs, Targets) {
        self.batch(dev, &(0..self.len()).collect::<Vec<_>>())
    }
}

/// Loads the shipped digits and splits them, shuffled with [`SPLIT_SEED`].
pub fn split() -> Result<Split> {
    let all = digits::load(&digits::default_path())?;
    let mut order: Vec<usize> = (0..all.labels.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(SPLIT_SEED));
    let take = |range: &[usize]| Set {
        images: range.iter().map(|&i| all.images[i]).collect(),
        labels: range.iter().map(|&i| all.labels[i]).collect(),
    };
    let (held_out, train) = order.split_at(2 * HELD_OUT);
    Ok(Split {
        train: take(train),
        validation: take(&held_out[..HELD_OUT]),
        test: take(&held_out[HELD_OUT..]),
    })
}

/// A batch of images, one per row.
pub type Inputs<T = NoneTape> = Tensor<(usize, Const<PIXELS>), f32, Dev, T>;
/// One-hot targets (or logits), one row per image.
pub type Targets<T = NoneTape> = Tensor<(usize, Const<CLASSES>), f32, Dev, T>;
/// The tape dfdx records a training forward pass on.
pub type Tape = OwnedTape<f32, Dev>;

/// A dfdx model that maps a batch of digits to 10 logits, in training (`forward_mut` on a
/// taped batch) and in evaluation (`forward`).
pub trait Classifier:
    TensorCollection<f32, Dev>
    + ModuleMut<
        Inputs<Tape>,
        Output = Targets<Tape>,
        Error = <Dev as HasErr>::Err,
    > + Module<Inputs, Output = Targets, Error = <Dev as HasErr>::Err>
    + Clone
    + Send
{
}

impl<M> Classifier for M where
    M: TensorCollection<f32, Dev>
        + ModuleMut<
            Inputs<Tape>,
            Output = Targets<Tape>,
            Error = <Dev as HasErr>::Err,
        > + Module<Inputs, Output = Targets, Error = <Dev as HasErr>::Err>
        + Clone
        + Send
{
}

// ANCHOR: mlp
/// Width of the hidden layers of the small MLP.
pub const HIDDEN: usize = 32;
/// 64 pixels → 32 ReLU → 32 ReLU → 10 logits.
pub type MlpArch = (
    (Linear<PIXELS, HIDDEN>, ReLU),
    (Linear<HIDDEN, HIDDEN>, ReLU),
    Linear<HIDDEN, CLASSES>,
);
pub type Mlp = <MlpArch as BuildOnDevice<Dev, f32>>::Built;
// ANCHOR_END: mlp

/// θ of the small MLP as one vector: `W¹, b¹, W², b², W³, b³`, row-major.
pub fn parameters(model: &Mlp) -> Vec<f32> {
    let ((l1, _), (l2, _), l3) = model;
    [
        l1.weight.as_vec(),
        l1.bias.as_vec(),
        l2.weight.as_vec(),
        l2.bias.as_vec(),
        l3.weight.as_vec(),
        l3.bias.as_vec(),
    ]
    .concat()
}

/// Writes `theta` (ordered as [`parameters`]) into the small MLP.
pub fn set_parameters(model: &mut Mlp, theta: &[f32]) {
    let ((l1, _), (l2, _), l3) = model;
    let mut rest = theta;
    let mut fill = |dst: &mut dyn FnMut(&[f32]), n: usize| {
        let (head, tail) = rest.split_at(n);
        dst(head);
        rest = tail;
    };
    fill(&mut |v| l1.weight.copy_from(v), PIXELS * HIDDEN);
    fill(&mut |v| l1.bias.copy_from(v), HIDDEN);
    fill(&mut |v| l2.weight.copy_from(v), HIDDEN * HIDDEN);
    fill(&mut |v| l2.bias.copy_from(v), HIDDEN);
    fill(&mut |v| l3.weight.copy_from(v), HIDDEN * CLASSES);
    fill(&mut |v| l3.bias.copy_from(v), CLASSES);
}

/// `∇_θ L` of the small MLP from dfdx's gradients, ordered as [`parameters`].
pub fn gradient(model: &Mlp, grads: &Gradients<f32, Dev>) -> Vec<f32> {
    let ((l1, _), (l2, _), l3) = model;
    [
        grads.get(&l1.weight).as_vec(),
        grads.get(&l1.bias).as_vec(),
        grads.get(&l2.weight).as_vec(),
        grads.get(&l2.bias).as_vec(),
        grads.get(&l3.weight).as_vec(),
        grads.get(&l3.bias).as_vec(),
    ]
    .concat()
}

/// The cross-entropy of `model` on `(x, y)` and its gradients (dropout, if any, active).
pub fn loss_and_grads<M: Classifier>(
    model: &mut M,
    x: Inputs,
    y: Targets,
) -> (f64, Gradients<f32, Dev>) {
    let logits = model.forward_mut(x.traced(model.alloc_grads()));
    let loss = cross_entropy_with_logits_loss(logits, y);
    let value = loss.array() as f64;
    (value, loss.backward())
}

/// Mean cross-entropy and accuracy of `model` on `set` (evaluation mode: no dropout).
pub fn evaluate<M: Classifier>(model: &M, set: &Set) -> (f64, f64) {
    let dev = Dev::default();
    let (x, y) = set.all(&dev);
    let logits = model.forward(x);
    let predicted = logits.as_vec();
    let correct = predicted
        .chunks(CLASSES)
        .zip(&set.labels)
        .filter(|(row, &label)| argmax(row) == label)
        .count();
    let loss = cross_entropy_with_logits_loss(logits, y).array() as f64;
    (loss, correct as f64 / set.len() as f64)
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// dfdx's three optimizers behind one type, so one loop trains with any of them and a
/// schedule can set `cfg.lr` before every step.
pub enum DfdxOptimizer<M> {
    Sgd(Sgd<M, f32, Dev>),
    RmsProp(RMSprop<M, f32, Dev>),
    Adam(Adam<M, f32, Dev>),
}

/// Which of dfdx's optimizers, with which hyperparameters.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    Sgd(SgdConfig),
    RmsProp(RMSpropConfig),
    Adam(AdamConfig),
}

impl Method {
    /// The learning rate it starts with.
    pub fn lr(&self) -> f64 {
        match self {
            Method::Sgd(cfg) => cfg.lr,
            Method::RmsProp(cfg) => cfg.lr,
            Method::Adam(cfg) => cfg.lr,
        }
    }

    /// dfdx's optimizer for `model`.
    pub fn build<M>(&self, model: &M) -> DfdxOptimizer<M> {
        match *self {
            Method::Sgd(cfg) => DfdxOptimizer::Sgd(Sgd::new(model, cfg)),
            Method::RmsProp(cfg) => {
                DfdxOptimizer::RmsProp(RMSprop::new(model, cfg))
            }
            Method::Adam(cfg) => DfdxOptimizer::Adam(Adam::new(model, cfg)),
        }
    }
}

impl<M: TensorCollection<f32, Dev>> DfdxOptimizer<M> {
    /// Sets the learning rate of the next steps.
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            DfdxOptimizer::Sgd(opt) => opt.cfg.lr = lr,
            DfdxOptimizer::RmsProp(opt) => opt.cfg.lr = lr,
            DfdxOptimizer::Adam(opt) => opt.cfg.lr = lr,
        }
    }

    /// One step on `model` with `grads`.
    pub fn update(
        &mut self,
        model: &mut M,
        grads: &Gradients<f32, Dev>,
    ) -> Result<()> {
        let result = match self {
            DfdxOptimizer::Sgd(opt) => opt.update(model, grads),
            DfdxOptimizer::RmsProp(opt) => opt.update(model, grads),
            DfdxOptimizer::Adam(opt) => opt.update(model, grads),
        };
        result.map_err(|err| anyhow!("optimizer step: {err}"))
    }
}

/// How a model is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub steps: usize,
    /// Minibatch size B (the whole set when it is larger than the set).
    pub batch: usize,
    /// Evaluate on the training and validation sets every this many steps (0: never).
    pub eval_every: usize,
    /// Seed of the minibatch order.
    pub seed: u64,
}

/// One evaluation during training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Checkpoint {
    pub step: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
    pub validation_accuracy: f64,
}

/// What a training run recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The minibatch loss of every step.
    pub losses: Vec<f64>,
    pub checkpoints: Vec<Checkpoint>,
}

/// The minibatches of a run: `steps` lists of `batch` indices into `0..n`, reshuffled
/// every epoch.
pub fn minibatches(n: usize, run: &Run) -> Vec<Vec<usize>> {
    let batch = run.batch.min(n);
    let mut rng = StdRng::seed_from_u64(run.seed);
    let mut order: Vec<usize> = Vec::new();
    (0..run.steps)
        .map(|_| {
            if order.len() < batch {
                let mut epoch: Vec<usize> = (0..n).collect();
                epoch.shuffle(&mut rng);
                order = epoch;
            }
            order.drain(..batch).collect()
        })
        .collect()
}

// ANCHOR: train
/// Trains `model` on `data` with `method`, setting the learning rate to
/// `lr_at(step)` before every step; evaluates on `validation` as `run` says.
/// `on_checkpoint` sees the model at every evaluation (early stopping keeps
/// a copy of the best).
pub fn train<M: Classifier>(
    model: &mut M,
    method: Method,
    lr_at: &dyn Fn(usize) -> f64,
    (data, validation): (&Set, &Set),
    run: Run,
    on_checkpoint: &mut dyn FnMut(&M, &Checkpoint),
) -> Result<History> {
    ensure!(!data.is_empty(), "no training data");
    let dev = Dev::default();
    let mut opt = method.build(model);
    let mut history = History::default();
    for (step, batch) in minibatches(data.len(), &run).iter().enumerate() {
        if run.eval_every > 0 && step % run.eval_every == 0 {
            let checkpoint = evaluation(model, step, (data, validation));
            on_checkpoint(model, &checkpoint);
            history.checkpoints.push(checkpoint);
        }
        let (x, y) = data.batch(&dev, batch);
        let (loss, grads) = loss_and_grads(model, x, y);
        ensure!(loss.is_finite(), "the loss diverged at step {step}");
        history.losses.push(loss);
        opt.set_lr(lr_at(step));
        opt.update(model, &grads)?;
    }
    if run.eval_every > 0 {
        let checkpoint = evaluation(model, run.steps, (data, validation));
        on_checkpoint(model, &checkpoint);
        history.checkpoints.push(checkpoint);
    }
    Ok(history)
}
// ANCHOR_END: train

fn evaluation<M: Classifier>(
    model: &M,
    step: usize,
    (data, validation): (&Set, &Set),
) -> Checkpoint {
    let (train_loss, _) = evaluate(model, data);
    let (validation_loss, validation_accuracy) = evaluate(model, validation);
    Checkpoint {
        step,
        train_loss,
        validation_loss,
        validation_accuracy,
    }
}
