//! Training the encoder–decoder with teacher forcing and Adam, decoding
//! greedily (with and without a key/value cache), and measuring what it
//! learned on held-out sequences.

use crate::attention::{KvCache, Weights};
use crate::reversal::{
    held_out_set, reversed, shifted_right, source_position, Sampler, Sequence,
    BOS, SEQ_LEN, VOCAB,
};
use crate::transformer::{Design, Reverser, HEADS};
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
    /// Which parts of the model are on: [`Design::FULL`] but in ablations.
    pub design: Design,
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
            design: Design::FULL,
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
            design: Design::FULL,
        }
    }

    /// An ablation: the quick budget's data and seed with `design`, evaluated
    /// once, at the end. The full run and the tests both train it.
    pub fn ablation(design: Design) -> Self {
        Budget {
            steps: ABLATION_STEPS,
            evaluations: 1,
            design,
            ..Budget::quick()
        }
    }
}

/// Adam steps of an ablation. The full model reverses the held-out set
/// after far fewer.
pub const ABLATION_STEPS: usize = 200;

/// What the model gets right on the held-out set, and where it looks.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy (nats) with the right answers fed to the decoder:
    /// the training objective, on held-out sequences.
    pub teacher_forced_loss: f64,
    /// Share of output tokens that greedy decoding gets right.
    pub token_accuracy: f64,
    /// Share of sequences greedy decoding reverses without a single mistake.
    pub sequence_accuracy: f64,
    /// Per cross-attention head: share of output positions `i` whose largest
    /// weight is on input position `T − 1 − i`.
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

/// The decoder's inputs (BOS and the right answers, shifted) and targets
/// for `batch` under teacher forcing.
fn teacher_forcing(batch: &[Sequence]) -> (Vec<Sequence>, Vec<Sequence>) {
    let targets: Vec<Sequence> = batch.iter().map(reversed).collect();
    let inputs = targets.iter().map(shifted_right).collect();
    (inputs, targets)
}

// ANCHOR: train_step
/// One Adam step on one batch, teacher-forced: the decoder reads the right
/// answers shifted one place right. Takes the (zeroed) gradient buffers and
/// hands them back with the batch's mean cross-entropy.
pub fn train_step(
    model: &mut Reverser,
    adam: &mut Adam<Reverser, f32, Dev>,
    grads: Gradients<f32, Dev>,
    batch: &[Sequence; BATCH],
) -> Result<(f64, Gradients<f32, Dev>)> {
    let dev = model.readout.weight.device().clone();
    let (inputs, targets) = teacher_forcing(batch);
    let memory = model.encode(tokens::<BATCH>(&dev, batch).traced(grads));
    let (logits, _, _) = model.decode(tokens::<BATCH>(&dev, &inputs), memory);
    let targets = one_hot::<BATCH>(&dev, &targets);
    let loss = cross_entropy_with_logits_loss(logits, targets);
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
    (0..values.len())
        .fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

/// What greedy decoding wrote, the logits it chose from, the attention of
/// its last pass and what it cost.
pub struct Greedy<const B: usize> {
    /// The `B` decoded sequences.
    pub outputs: Vec<Sequence>,
    /// The logits that chose each digit, `(B, T, VOCAB)` row by row.
    pub logits: Vec<f32>,
    /// The decoder's causal self-attention, `(B, H, T, T)`.
    pub self_attention: Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
    /// The decoder's attention to the encoder, `(B, H, T, T)`: output
    /// position × input position.
    pub cross_attention: Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
    /// Attention scores (query–key dot products) the decoder computed, all
    /// heads and sequences together.
    pub score_entries: usize,
    /// Token positions the decoder processed (each a pass through its
    /// projections and MLP).
    pub decoder_positions: usize,
}

/// Copies the logits of position `i` `(B, VOCAB)` into `all` `(B, T, VOCAB)`
/// and returns the digit each sequence writes there.
fn choose<const B: usize>(
    at_i: &[f32],
    i: usize,
    all: &mut [f32],
) -> [usize; B] {
    std::array::from_fn(|n| {
        let row = &at_i[n * VOCAB..][..VOCAB];
        all[(n * SEQ_LEN + i) * VOCAB..][..VOCAB].copy_from_slice(row);
        argmax(row)
    })
}

/// The logits of position `i` from a full pass's logits `(B, T, VOCAB)`.
fn row_at<const B: usize>(logits: &[f32], i: usize) -> Vec<f32> {
    (0..B)
        .flat_map(|n| &logits[(n * SEQ_LEN + i) * VOCAB..][..VOCAB])
        .copied()
        .collect()
}

// ANCHOR: greedy
/// Greedy decoding of `sources` (`B` of them): encode once, then run the
/// decoder `T` times; pass `i` reads BOS and the digits written so far and
/// writes its most likely digit at `i`. Later positions hold placeholders,
/// which the causal mask hides.
pub fn greedy_decode<const B: usize>(
    model: &Reverser,
    sources: &[Sequence; B],
) -> Greedy<B> {
    let dev = model.readout.weight.device().clone();
    let memory = model.encode(tokens::<B>(&dev, sources));
    let mut outputs = vec![[0; SEQ_LEN]; B];
    let mut logits = vec![0.0; B * SEQ_LEN * VOCAB];
    let (mut score_entries, mut decoder_positions) = (0, 0);
    let mut last = None;
    for i in 0..SEQ_LEN {
        let inputs: Vec<Sequence> = outputs.iter().map(shifted_right).collect();
        let pass = model.decode(tokens::<B>(&dev, &inputs), memory.clone());
        let (pass_logits, self_attention, cross_attention) = pass;
        score_entries += self_attention.shape().num_elements()
            + cross_attention.shape().num_elements();
        decoder_positions += B * SEQ_LEN;
        let next =
            choose::<B>(&row_at::<B>(&pass_logits.as_vec(), i), i, &mut logits);
        for (output, digit) in outputs.iter_mut().zip(next) {
            output[i] = digit;
        }
        last = Some((self_attention, cross_attention));
    }
    let (self_attention, cross_attention) = last.expect("T > 0 passes");
    Greedy {
        outputs,
        logits,
        self_attention,
        cross_attention,
        score_entries,
        decoder_positions,
    }
}
// ANCHOR_END: greedy

// ANCHOR: greedy_cached
/// Greedy decoding with a key/value cache: the encoder's keys and values
/// are computed once, and each step runs the decoder on its one new
/// position, whose key and value join the cache. Writes what
/// [`greedy_decode`] writes, with `T` times fewer decoder positions.
pub fn greedy_decode_cached<const B: usize>(
    model: &Reverser,
    sources: &[Sequence; B],
) -> Result<Greedy<B>> {
    ensure!(
        model.design.causal_mask,
        "a key/value cache needs a causal decoder: without the mask, earlier \
         positions would read keys that do not exist yet"
    );
    let dev = model.readout.weight.device().clone();
    let memory = model.encode(tokens::<B>(&dev, sources));
    let memory_kv = model.decoder.cross_attention.keys_values(memory);
    let mut cache = KvCache::new();
    let mut outputs = vec![[0; SEQ_LEN]; B];
    let mut logits = vec![0.0; B * SEQ_LEN * VOCAB];
    let (mut score_entries, mut decoder_positions) = (0, 0);
    let (mut self_rows, mut cross_rows) = (Vec::new(), Vec::new());
    let mut previous = [BOS; B];
    for i in 0..SEQ_LEN {
        let step = model.decode_step(previous, &mut cache, &memory_kv);
        let (step_logits, self_attention, cross_attention) = step;
        score_entries += self_attention.shape().num_elements()
            + cross_attention.shape().num_elements();
        decoder_positions += B;
        previous = choose::<B>(&step_logits.as_vec(), i, &mut logits);
        for (output, digit) in outputs.iter_mut().zip(previous) {
            output[i] = digit;
        }
        self_rows.push(self_attention.as_vec());
        cross_rows.push(cross_attention.as_vec());
    }
    Ok(Greedy {
        outputs,
        logits,
        self_attention: stack_rows(&dev, &self_rows),
        cross_attention: stack_rows(&dev, &cross_rows),
        score_entries,
        decoder_positions,
    })
}
// ANCHOR_END: greedy_cached

/// The attention rows of the `T` cached steps, `(B, H, 1, T)` each, as one
/// `(B, H, T, T)` tensor.
fn stack_rows<const B: usize>(
    dev: &Dev,
    steps: &[Vec<f32>],
) -> Weights<B, HEADS, SEQ_LEN, SEQ_LEN> {
    let values = (0..B * HEADS * SEQ_LEN * SEQ_LEN)
        .map(|n| {
            let (row, key) = (n / SEQ_LEN, n % SEQ_LEN);
            let (head_row, query) = (row / SEQ_LEN, row % SEQ_LEN);
            steps[query][head_row * SEQ_LEN + key]
        })
        .collect();
    dev.tensor_from_vec(values, (Const, Const, Const, Const))
}

// ANCHOR: alignment
/// Counts, per head, the output positions `i` whose strongest
/// cross-attention weight lands on input position `T − 1 − i`. `weights` is
/// one batch's `(B, H, T, T)` cross-attention, flattened.
fn count_aligned(weights: &[f32], counts: &mut [usize; HEADS]) {
    for (row_index, row) in weights.chunks(SEQ_LEN).enumerate() {
        let head = (row_index / SEQ_LEN) % HEADS;
        let query = row_index % SEQ_LEN;
        if argmax(row) == source_position(query) {
            counts[head] += 1;
        }
    }
}
// ANCHOR_END: alignment

/// The mean teacher-forced cross-entropy of `batch`, without a tape.
fn teacher_forced_loss(model: &Reverser, batch: &[Sequence; BATCH]) -> f64 {
    let dev = model.readout.weight.device().clone();
    let (inputs, targets) = teacher_forcing(batch);
    let memory = model.encode(tokens::<BATCH>(&dev, batch));
    let (logits, _, _) = model.decode(tokens::<BATCH>(&dev, &inputs), memory);
    let targets = one_hot::<BATCH>(&dev, &targets);
    cross_entropy_with_logits_loss(logits, targets).array() as f64
}

/// Teacher-forced loss, greedy-decoded accuracy and cross-attention
/// alignment on `sequences` (a multiple of [`BATCH`] of them).
pub fn evaluate(
    model: &Reverser,
    sequences: &[Sequence],
) -> Result<Evaluation> {
    ensure!(
        !sequences.is_empty() && sequences.len().is_multiple_of(BATCH),
        "held-out set of {} is not a multiple of {BATCH}",
        sequences.len()
    );
    let (mut right_tokens, mut right_sequences, mut aligned) =
        (0, 0, [0; HEADS]);
    let mut loss = 0.0;
    for chunk in sequences.chunks(BATCH) {
        let chunk: &[Sequence; BATCH] = chunk.try_into()?;
        loss += teacher_forced_loss(model, chunk);
        let decoded = greedy_decode::<BATCH>(model, chunk);
        for (sequence, output) in chunk.iter().zip(&decoded.outputs) {
            let target = reversed(sequence);
            let right =
                (0..SEQ_LEN).filter(|&i| output[i] == target[i]).count();
            right_tokens += right;
            right_sequences += usize::from(right == SEQ_LEN);
        }
        count_aligned(&decoded.cross_attention.as_vec(), &mut aligned);
    }
    let n = sequences.len() as f64;
    Ok(Evaluation {
        teacher_forced_loss: loss / (n / BATCH as f64),
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
    dev.enable_cache(); // reuse freed buffers instead of fresh pages
    let mut model = Reverser::with_design(&dev, budget.design);
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
    let mut progress = Progress::new(title(budget.design), budget.steps);
    for step in 1..=budget.steps {
        let (loss, used) =
            train_step(&mut model, &mut adam, grads, &sampler.batch::<BATCH>())
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

/// What the progress bar says is training.
fn title(design: Design) -> String {
    match design {
        Design::FULL => "training the encoder-decoder".into(),
        Design::NO_CAUSAL_MASK => "ablation: no causal mask".into(),
        Design::NO_POSITIONS => "ablation: no positional encoding".into(),
        other => format!("training {other:?}"),
    }
}

/// Greedy decoding with and without the key/value cache, on the same
/// sequences: whether they agree, and what each computed.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheComparison {
    /// Sequences decoded by both.
    pub sequences: usize,
    /// Sequences both decoded to the same digits.
    pub same_outputs: usize,
    /// Largest difference between the logits the two chose from (0 when
    /// bit-identical).
    pub largest_logit_difference: f32,
    /// Attention scores computed, all heads, per sequence: without and with
    /// the cache.
    pub scores_per_sequence: (usize, usize),
    /// Decoder positions processed per sequence: without and with the cache.
    pub positions_per_sequence: (usize, usize),
}

/// Decodes `sequences` (a multiple of [`BATCH`]) both ways and compares.
pub fn compare_decoders(
    model: &Reverser,
    sequences: &[Sequence],
) -> Result<CacheComparison> {
    ensure!(
        !sequences.is_empty() && sequences.len().is_multiple_of(BATCH),
        "{} sequences is not a multiple of {BATCH}",
        sequences.len()
    );
    let (mut same_outputs, mut largest) = (0, 0.0f32);
    let (mut scores, mut positions) = ((0, 0), (0, 0));
    for chunk in sequences.chunks(BATCH) {
        let chunk: &[Sequence; BATCH] = chunk.try_into()?;
        let plain = greedy_decode::<BATCH>(model, chunk);
        let cached = greedy_decode_cached::<BATCH>(model, chunk)?;
        same_outputs += plain
            .outputs
            .iter()
            .zip(&cached.outputs)
            .filter(|(a, b)| a == b)
            .count();
        for (a, b) in plain.logits.iter().zip(&cached.logits) {
            largest = largest.max((a - b).abs());
        }
        scores.0 += plain.score_entries;
        scores.1 += cached.score_entries;
        positions.0 += plain.decoder_positions;
        positions.1 += cached.decoder_positions;
    }
    let n = sequences.len();
    Ok(CacheComparison {
        sequences: n,
        same_outputs,
        largest_logit_difference: largest,
        scores_per_sequence: (scores.0 / n, scores.1 / n),
        positions_per_sequence: (positions.0 / n, positions.1 / n),
    })
}
