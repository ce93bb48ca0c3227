//! Training the encoder–decoder with teacher forcing and Adam, decoding greedily, and
//! measuring what it learned on held-out sequences.

use crate::attention::Weights;
use crate::reversal::{
    held_out_set, reversed, shifted_right, source_position, Sampler, Sequence, SEQ_LEN, VOCAB,
};
use crate::transformer::{Reverser, HEADS};
use anyhow::{ensure, Context, Result};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::progress::Progress;
use dudl::Dev;

/// Sequences per training step (and per evaluation chunk).
pub const BATCH: usize = 64;

/// How long to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Adam steps of one batch each.
    pub steps: usize,
    /// Points on the training curves.
    pub evaluations: usize,
    /// Held-out sequences, a multiple of [`BATCH`].
    pub held_out: usize,
    /// Adam's learning rate η.
    pub learning_rate: f64,
    /// Seeds the initial weights, the training stream and the held-out set.
    pub seed: u64,
}

impl Budget {
    /// What the book's figures and numbers come from.
    pub fn full() -> Self {
        Budget {
            steps: 1000,
            evaluations: 50,
            held_out: 1024,
            learning_rate: 1e-3,
            seed: 5,
        }
    }

    /// Same code, smaller budget: what the tests run.
    pub fn quick() -> Self {
        Budget {
            steps: 400,
            evaluations: 16,
            held_out: 512,
            learning_rate: 1e-3,
            seed: 5,
        }
    }
}

/// What the model gets right on the held-out set, and where it looks.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Share of output tokens that are right.
    pub token_accuracy: f64,
    /// Share of sequences reversed without a single mistake.
    pub sequence_accuracy: f64,
    /// Per cross-attention head: share of output positions `i` whose largest weight is on
    /// input position `T − 1 − i`.
    pub alignment: [f64; HEADS],
}

impl Evaluation {
    /// The head that lines up best with the reversal, and its alignment.
    pub fn best_head(&self) -> (usize, f64) {
        (0..HEADS)
            .map(|h| (h, self.alignment[h]))
            .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a })
    }
}

/// One point of the training curves.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub step: usize,
    /// Mean cross-entropy of the last training batches.
    pub loss: f64,
    pub evaluation: Evaluation,
}

/// A trained model with its history and its held-out set.
pub struct Trained {
    pub model: Reverser,
    pub curve: Vec<CurvePoint>,
    pub held_out: Vec<Sequence>,
    pub evaluation: Evaluation,
}

/// A batch of sequences as a `(B, T)` token tensor.
pub fn tokens<const B: usize>(
    dev: &Dev,
    sequences: &[Sequence],
) -> Tensor<Rank2<B, SEQ_LEN>, usize, Dev> {
    let flat = sequences.iter().flatten().copied().collect();
    dev.tensor_from_vec(flat, (Const::<B>, Const::<SEQ_LEN>))
}

/// The targets as one-hot rows, `(B, T, VOCAB)`.
fn one_hot<const B: usize>(
    dev: &Dev,
    targets: &[Sequence],
) -> Tensor<Rank3<B, SEQ_LEN, VOCAB>, f32, Dev> {
    let mut probs = vec![0.0; B * SEQ_LEN * VOCAB];
    for (n, target) in targets.iter().enumerate() {
        for (i, &token) in target.iter().enumerate() {
            probs[(n * SEQ_LEN + i) * VOCAB + token] = 1.0;
        }
    }
    dev.tensor_from_vec(probs, (Const::<B>, Const::<SEQ_LEN>, Const::<VOCAB>))
}

// ANCHOR: train_step
/// One Adam step on one batch, teacher-forced: the decoder reads the right answers shifted
/// one place right. Takes the (zeroed) gradient buffers and hands them back with the batch's
/// mean cross-entropy.
fn train_step(
    model: &mut Reverser,
    adam: &mut Adam<Reverser, f32, Dev>,
    grads: Gradients<f32, Dev>,
    batch: &[Sequence; BATCH],
) -> Result<(f64, Gradients<f32, Dev>)> {
    let dev = model.readout.weight.device().clone();
    let targets: Vec<Sequence> = batch.iter().map(reversed).collect();
    let inputs: Vec<Sequence> = targets.iter().map(shifted_right).collect();
    let memory = model.encode(tokens::<BATCH>(&dev, batch).traced(grads));
    let (logits, _, _) = model.decode(tokens::<BATCH>(&dev, &inputs), memory);
    let loss = cross_entropy_with_logits_loss(logits, one_hot::<BATCH>(&dev, &targets));
    let value = loss.array() as f64;
    let mut grads = loss.backward();
    adam.update(model, &grads)
        .map_err(|err| anyhow::anyhow!("Adam update failed: {err:?}"))?;
    model.zero_grads(&mut grads);
    Ok((value, grads))
}
// ANCHOR_END: train_step

/// The index of the largest of `values`.
pub fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

/// What greedy decoding wrote, and the attention of its last pass.
pub struct Greedy<const B: usize> {
    /// The `B` decoded sequences.
    pub outputs: Vec<Sequence>,
    /// The decoder's causal self-attention, `(B, H, T, T)`.
    pub self_attention: Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
    /// The decoder's attention to the encoder, `(B, H, T, T)`: output position × input position.
    pub cross_attention: Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
}

// ANCHOR: greedy
/// Greedy decoding of `sources` (`B` of them): encode once, then run the decoder `T` times;
/// pass `i` reads BOS and the digits written so far and writes its most likely digit at `i`.
/// Later positions hold placeholders, which the causal mask hides.
pub fn greedy_decode<const B: usize>(model: &Reverser, sources: &[Sequence; B]) -> Greedy<B> {
    let dev = model.readout.weight.device().clone();
    let memory = model.encode(tokens::<B>(&dev, sources));
    let mut outputs = vec![[0; SEQ_LEN]; B];
    let pass = |outputs: &[Sequence]| {
        let inputs: Vec<Sequence> = outputs.iter().map(shifted_right).collect();
        model.decode(tokens::<B>(&dev, &inputs), memory.clone())
    };
    let (mut logits, mut self_attention, mut cross_attention) = pass(&outputs);
    for i in 0..SEQ_LEN {
        let next = logits.as_vec();
        for (n, output) in outputs.iter_mut().enumerate() {
            output[i] = argmax(&next[(n * SEQ_LEN + i) * VOCAB..][..VOCAB]);
        }
        if i + 1 < SEQ_LEN {
            (logits, self_attention, cross_attention) = pass(&outputs);
        }
    }
    Greedy {
        outputs,
        self_attention,
        cross_attention,
    }
}
// ANCHOR_END: greedy

// ANCHOR: alignment
/// Counts, per head, the output positions `i` whose strongest cross-attention weight lands on
/// input position `T − 1 − i`. `weights` is one batch's `(B, H, T, T)` cross-attention, flattened.
fn count_aligned(weights: &[f32], counts: &mut [usize; HEADS]) {
    for (row_index, row) in weights.chunks(SEQ_LEN).enumerate() {
        let (head, query) = ((row_index / SEQ_LEN) % HEADS, row_index % SEQ_LEN);
        if argmax(row) == source_position(query) {
            counts[head] += 1;
        }
    }
}
// ANCHOR_END: alignment

/// Greedy-decoded accuracy and cross-attention alignment on `sequences` (a multiple of
/// [`BATCH`] of them).
pub fn evaluate(model: &Reverser, sequences: &[Sequence]) -> Result<Evaluation> {
    ensure!(
        !sequences.is_empty() && sequences.len().is_multiple_of(BATCH),
        "held-out set of {} is not a multiple of {BATCH}",
        sequences.len()
    );
    let (mut right_tokens, mut right_sequences, mut aligned) = (0, 0, [0; HEADS]);
    for chunk in sequences.chunks(BATCH) {
        let decoded = greedy_decode::<BATCH>(model, chunk.try_into()?);
        for (sequence, output) in chunk.iter().zip(&decoded.outputs) {
            let target = reversed(sequence);
            let right = (0..SEQ_LEN).filter(|&i| output[i] == target[i]).count();
            right_tokens += right;
            right_sequences += usize::from(right == SEQ_LEN);
        }
        count_aligned(&decoded.cross_attention.as_vec(), &mut aligned);
    }
    let n = sequences.len() as f64;
    Ok(Evaluation {
        token_accuracy: right_tokens as f64 / (n * SEQ_LEN as f64),
        sequence_accuracy: right_sequences as f64 / n,
        alignment: aligned.map(|count| count as f64 / (n * SEQ_LEN as f64)),
    })
}

/// Trains a fresh [`Reverser`] on `budget`, evaluating on held-out sequences along the way.
pub fn train(budget: Budget) -> Result<Trained> {
    ensure!(
        budget.steps > 0 && budget.evaluations > 0,
        "the training budget needs steps and evaluations: {budget:?}"
    );
    let dev = Dev::seed_from_u64(budget.seed);
    let mut model = Reverser::build(&dev);
    let mut adam = Adam::new(
        &model,
        AdamConfig {
            lr: budget.learning_rate,
            ..Default::default()
        },
    );
    let mut grads = model.alloc_grads();
    let held_out = held_out_set(budget.held_out, budget.seed.wrapping_add(1));
    let mut sampler = Sampler::new(budget.seed.wrapping_add(2), &held_out);
    let every = budget.steps.div_ceil(budget.evaluations);
    let (mut curve, mut recent) = (Vec::new(), Vec::new());
    let mut progress = Progress::new("training the encoder-decoder", budget.steps);
    for step in 1..=budget.steps {
        let (loss, used) = train_step(&mut model, &mut adam, grads, &sampler.batch::<BATCH>())
            .with_context(|| format!("training step {step}"))?;
        grads = used;
        recent.push(loss);
        if step % every == 0 || step == budget.steps {
            let loss = recent.iter().sum::<f64>() / recent.len() as f64;
            recent.clear();
            let evaluation = evaluate(&model, &held_out)?;
            progress.update(
                step,
                format!(
                    "loss {loss:.3}  exact {:.1}%",
                    100.0 * evaluation.sequence_accuracy
                ),
            );
            curve.push(CurvePoint {
                step,
                loss,
                evaluation,
            });
        }
    }
    let evaluation = curve
        .last()
        .context("no evaluation was recorded")?
        .evaluation
        .clone();
    progress.finish(format!(
        "held-out exact-sequence accuracy {:.1}%",
        100.0 * evaluation.sequence_accuracy
    ));
    Ok(Trained {
        model,
        curve,
        held_out,
        evaluation,
    })
}
