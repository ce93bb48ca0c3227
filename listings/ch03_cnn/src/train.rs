//! Training any of the chapter's classifiers with Adam on the MNIST split, and measuring it:
//! held-out accuracy, the confusion matrix, accuracy under shifted inputs.

use anyhow::{anyhow, Result};
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::optim::{Adam, AdamConfig, Optimizer};
use dfdx::prelude::*;
use dudl::conv::Images;
use dudl::data::mnist::{Labelled, CLASSES, PIXELS, SIDE};
use dudl::progress::Progress;
use dudl::Dev;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Images per Adam step.
pub const BATCH: usize = 32;
/// Images per forward pass when evaluating.
pub const EVAL_BATCH: usize = 100;

type Tape = OwnedTape<f32, Dev>;
type Logits<const B: usize, T = NoneTape> = Tensor<Rank2<B, CLASSES>, f32, Dev, T>;

/// What every classifier here is: a map from a batch of 1×28×28 images to
/// 10 logits, trainable (with a tape) and usable for inference (without).
pub trait Classifier:
    TensorCollection<f32, Dev>
    + ModuleMut<Images<BATCH, 1, f32, Dev, Tape>, Output = Logits<BATCH, Tape>>
    + Module<Images<EVAL_BATCH, 1, f32, Dev>, Output = Logits<EVAL_BATCH>>
{
}

impl<M> Classifier for M where
    M: TensorCollection<f32, Dev>
        + ModuleMut<Images<BATCH, 1, f32, Dev, Tape>, Output = Logits<BATCH, Tape>>
        + Module<Images<EVAL_BATCH, 1, f32, Dev>, Output = Logits<EVAL_BATCH>>
{
}

/// How long and how to train one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// Passes over the training images.
    pub epochs: usize,
    /// Held-out evaluations per epoch (points on the training curve).
    pub evaluations_per_epoch: usize,
    /// Adam's learning rate η.
    pub learning_rate: f64,
    /// Seeds the order of the training images.
    pub seed: u64,
}

/// One point of a training curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvePoint {
    /// Epochs done (fractional between the ends of epochs).
    pub epoch: f64,
    /// Mean training cross-entropy since the previous point, in nats.
    pub train_loss: f64,
    /// Accuracy on the held-out images.
    pub test_accuracy: f64,
}

/// A `B × 1 × 28 × 28` batch of `images`.
pub fn batch<const B: usize>(dev: &Dev, images: &[&[f32; PIXELS]]) -> Images<B, 1, f32, Dev> {
    assert_eq!(images.len(), B, "a batch of {B} needs {B} images");
    let pixels: Vec<f32> = images
        .iter()
        .flat_map(|image| image.iter().copied())
        .collect();
    dudl::alloc::tensor_from_slice(dev, &pixels, (Const, Const, SIDE, SIDE))
}

fn one_hot<const B: usize>(dev: &Dev, labels: &[usize]) -> Tensor<Rank2<B, CLASSES>, f32, Dev> {
    let mut hot = vec![0.0; B * CLASSES];
    for (row, &label) in labels.iter().enumerate() {
        hot[row * CLASSES + label] = 1.0;
    }
    dudl::alloc::tensor_from_slice(dev, &hot, (Const, Const))
}

/// The predicted class of each image (the largest logit), in order; the number of images
/// must be a multiple of [`EVAL_BATCH`].
pub fn predict<M: Classifier>(model: &M, dev: &Dev, images: &[[f32; PIXELS]]) -> Vec<usize> {
    assert_eq!(images.len() % EVAL_BATCH, 0, "evaluate whole batches");
    images
        .chunks(EVAL_BATCH)
        .flat_map(|chunk| {
            let refs: Vec<&[f32; PIXELS]> = chunk.iter().collect();
            let logits = model.forward(batch::<EVAL_BATCH>(dev, &refs)).as_vec();
            logits.chunks(CLASSES).map(argmax).collect::<Vec<_>>()
        })
        .collect()
}

/// Index of the largest value (the first, on ties).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Share of `set` the model classifies right.
pub fn accuracy<M: Classifier>(model: &M, dev: &Dev, set: &Labelled) -> f64 {
    let predicted = predict(model, dev, &set.images);
    let right = predicted
        .iter()
        .zip(&set.labels)
        .filter(|(p, l)| p == l)
        .count();
    right as f64 / set.len() as f64
}

// ANCHOR: train_step
/// One Adam step on one batch: forward with a tape, cross-entropy,
/// backward, update. Returns the batch's mean loss in nats.
pub fn train_step<M: Classifier>(
    model: &mut M,
    adam: &mut Adam<M, f32, Dev>,
    grads: Gradients<f32, Dev>,
    (images, labels): (Images<BATCH, 1, f32, Dev>, Logits<BATCH>),
) -> Result<(f64, Gradients<f32, Dev>)> {
    let logits = model.forward_mut(images.traced(grads));
    let loss = cross_entropy_with_logits_loss(logits, labels);
    let value = loss.array() as f64;
    let mut grads = loss.backward();
    adam.update(model, &grads)
        .map_err(|err| anyhow!("Adam update failed: {err:?}"))?;
    model.zero_grads(&mut grads);
    Ok((value, grads))
}
// ANCHOR_END: train_step

/// Trains `model` on `train` for `schedule.epochs` epochs (the images reshuffled every
/// epoch, the last partial batch dropped) and returns the curve measured on `test`.
pub fn train<M: Classifier>(
    model: &mut M,
    dev: &Dev,
    (train, test): (&Labelled, &Labelled),
    schedule: Schedule,
    name: &str,
) -> Result<Vec<CurvePoint>> {
    let mut adam = Adam::new(
        model,
        AdamConfig {
            lr: schedule.learning_rate,
            ..Default::default()
        },
    );
    let mut grads = model.alloc_grads();
    let mut rng = StdRng::seed_from_u64(schedule.seed);
    let steps_per_epoch = train.len() / BATCH;
    let evals = schedule.evaluations_per_epoch.min(steps_per_epoch);
    // True `evals` times an epoch, evenly spaced, the last at the epoch's end.
    let evaluate_after =
        |step: usize| (step + 1) * evals / steps_per_epoch > step * evals / steps_per_epoch;
    let total = schedule.epochs * steps_per_epoch;
    let mut progress = Progress::new(name, total);
    let mut curve = Vec::new();
    let (mut loss_sum, mut losses) = (0.0, 0);
    let mut order: Vec<usize> = (0..train.len()).collect();
    for epoch in 0..schedule.epochs {
        order.shuffle(&mut rng);
        for (step, indices) in order.chunks_exact(BATCH).enumerate() {
            let images: Vec<_> = indices.iter().map(|&i| &train.images[i]).collect();
            let labels: Vec<_> = indices.iter().map(|&i| train.labels[i]).collect();
            let data = (batch(dev, &images), one_hot(dev, &labels));
            let (loss, next) = train_step(model, &mut adam, grads, data)?;
            grads = next;
            (loss_sum, losses) = (loss_sum + loss, losses + 1);
            let done = epoch * steps_per_epoch + step + 1;
            if evaluate_after(step) {
                let point = CurvePoint {
                    epoch: done as f64 / steps_per_epoch as f64,
                    train_loss: loss_sum / losses as f64,
                    test_accuracy: accuracy(model, dev, test),
                };
                (loss_sum, losses) = (0.0, 0);
                progress.update(done, format!("test {:.1}%", 100.0 * point.test_accuracy));
                curve.push(point);
            }
        }
    }
    let last = curve.last().map_or(0.0, |p| p.test_accuracy);
    progress.finish(format!("test {:.1}%", 100.0 * last));
    Ok(curve)
}

/// `confusion[t][p]`: how many images of class `t` the model called `p`.
pub fn confusion(predicted: &[usize], labels: &[usize]) -> [[usize; CLASSES]; CLASSES] {
    let mut matrix = [[0; CLASSES]; CLASSES];
    for (&p, &t) in predicted.iter().zip(labels) {
        matrix[t][p] += 1;
    }
    matrix
}

// ANCHOR: shift
/// The image moved `dx` pixels right and `dy` down; pixels shifted in
/// from outside are background (0).
pub fn shift(image: &[f32; PIXELS], dx: isize, dy: isize) -> [f32; PIXELS] {
    let side = SIDE as isize;
    std::array::from_fn(|i| {
        let (y, x) = ((i / SIDE) as isize - dy, (i % SIDE) as isize - dx);
        let inside = (0..side).contains(&y) && (0..side).contains(&x);
        if inside {
            image[(y * side + x) as usize]
        } else {
            0.0
        }
    })
}
// ANCHOR_END: shift

/// `set` with every image shifted by `(dx, dy)`.
pub fn shifted(set: &Labelled, dx: isize, dy: isize) -> Labelled {
    Labelled {
        images: set
            .images
            .iter()
            .map(|image| shift(image, dx, dy))
            .collect(),
        labels: set.labels.clone(),
    }
}
