//! The bottleneck: a GRU encoder–decoder **without** attention, reversing
//! sequences of digits. Everything the decoder knows about the input is the
//! encoder's last state.

use crate::cells::{Batch, GruCell, Recurrent};
use crate::Dev;
use anyhow::{anyhow, ensure, Result};
use dfdx::nn::modules::Linear;
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tokens are the digits `0..VOCAB`.
pub const VOCAB: usize = 10;
/// The decoder's start token.
pub const BOS: usize = VOCAB;
/// Width of a one-hot token: the digits and BOS.
pub const TOKENS: usize = VOCAB + 1;
/// Sequences per training step.
pub const BATCH: usize = 32;
/// Held-out sequences per length.
pub const HELD_OUT: usize = 256;

// ANCHOR: seq2seq
/// Encoder and decoder GRUs with `H` hidden units, and a read-out to the
/// digits.
#[derive(Clone, Debug)]
pub struct Seq2Seq<const H: usize, E: Dtype = f32, D: Storage<E> = Dev> {
    pub encoder: GruCell<TOKENS, H, E, D>,
    pub decoder: GruCell<TOKENS, H, E, D>,
    pub readout: Linear<H, VOCAB, E, D>,
}

impl<const H: usize> Seq2Seq<H> {
    /// Teacher-forced cross-entropy, averaged over the output positions. The
    /// encoder's last state `h_T` is the decoder's first: the only way through.
    pub fn loss<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        source: &[Batch<B, TOKENS>],
        decoder_inputs: &[Batch<B, TOKENS>],
        targets: &[Batch<B, VOCAB>],
    ) -> Tensor<Rank0, f32, Dev, Tp> {
        let (mut h, _) = self.encoder.run(h0, source);
        let mut total: Option<Tensor<Rank0, f32, Dev, Tp>> = None;
        for (x, target) in decoder_inputs.iter().zip(targets) {
            let state = self.decoder.step(x.clone(), h);
            h = state.with_empty_tape();
            let logits = self.readout.forward(state);
            let loss = cross_entropy_with_logits_loss(logits, target.clone());
            total = Some(match total {
                Some(total) => total + loss,
                None => loss,
            });
        }
        total.expect("a sequence has positions") / targets.len() as f32
    }
}
// ANCHOR_END: seq2seq

impl<const H: usize, D: Device<f32>> TensorCollection<f32, D>
    for Seq2Seq<H, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Seq2Seq<H, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("encoder", |s| &s.encoder, |s| &mut s.encoder),
                Self::module("decoder", |s| &s.decoder, |s| &mut s.decoder),
                Self::module("readout", |s| &s.readout, |s| &mut s.readout),
            ),
            |(encoder, decoder, readout)| Seq2Seq {
                encoder,
                decoder,
                readout,
            },
        )
    }
}

/// Position `i` of a batch of token sequences, one-hot, `(B, TOKENS)`.
fn one_hot<const B: usize, const N: usize>(
    dev: &Dev,
    sequences: &[Vec<usize>],
    position: impl Fn(&[usize]) -> usize,
) -> Batch<B, N> {
    let mut values = vec![0.0; B * N];
    for (n, sequence) in sequences.iter().enumerate() {
        values[n * N + position(sequence)] = 1.0;
    }
    dev.tensor_from_vec(values, (Const::<B>, Const::<N>))
}

/// The target of `sequence`: the digits in reverse order.
pub fn reversed(sequence: &[usize]) -> Vec<usize> {
    sequence.iter().rev().copied().collect()
}

/// One teacher-forced batch: the source, the decoder's inputs (BOS, then the
/// target shifted one place right) and the one-hot targets, one tensor per
/// position.
type Teacher<const B: usize> = (
    Vec<Batch<B, TOKENS>>,
    Vec<Batch<B, TOKENS>>,
    Vec<Batch<B, VOCAB>>,
);

fn teacher_forced<const B: usize>(
    dev: &Dev,
    sources: &[Vec<usize>],
) -> Teacher<B> {
    let targets: Vec<Vec<usize>> =
        sources.iter().map(|s| reversed(s)).collect();
    let len = sources[0].len();
    let source = (0..len).map(|i| one_hot(dev, sources, |s| s[i])).collect();
    let inputs = (0..len)
        .map(|i| {
            one_hot(dev, &targets, |s| if i == 0 { BOS } else { s[i - 1] })
        })
        .collect();
    let targets = (0..len).map(|i| one_hot(dev, &targets, |s| s[i])).collect();
    (source, inputs, targets)
}

/// The index of the largest of `values`.
fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(
        0,
        |best, i| {
            if values[i] > values[best] {
                i
            } else {
                best
            }
        },
    )
}

// ANCHOR: greedy
/// Greedy decoding: encode, then feed each predicted digit back in. Returns the
/// share of output digits that are right.
pub fn token_accuracy<const H: usize, const B: usize>(
    model: &Seq2Seq<H>,
    sources: &[Vec<usize>],
) -> f64 {
    let dev = model.readout.weight.device().clone();
    let len = sources[0].len();
    let source: Vec<Batch<B, TOKENS>> =
        (0..len).map(|i| one_hot(&dev, sources, |s| s[i])).collect();
    let (mut h, _) = model.encoder.run(dev.zeros(), &source);
    let mut previous = vec![vec![BOS]; B];
    let mut right = 0;
    for i in 0..len {
        h = model.decoder.step(one_hot(&dev, &previous, |p| p[0]), h);
        let logits = model.readout.forward(h.clone()).as_vec();
        for (n, row) in logits.chunks(VOCAB).enumerate() {
            let digit = argmax(row);
            right += usize::from(digit == sources[n][len - 1 - i]);
            previous[n][0] = digit;
        }
    }
    right as f64 / (B * len) as f64
}
// ANCHOR_END: greedy

/// How the encoder–decoder trains at one length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub steps: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// Trains a fresh `Seq2Seq<H>` to reverse sequences of length `len` and returns
/// its greedy token accuracy on `HELD_OUT` unseen sequences. Adds one to `done`
/// per step.
pub fn reversal_accuracy<const H: usize>(
    len: usize,
    budget: Budget,
    done: &AtomicUsize,
) -> Result<f64> {
    ensure!(
        len >= 1 && budget.steps > 0,
        "length {len}, budget {budget:?}"
    );
    let dev = Dev::seed_from_u64(budget.seed);
    let mut model = Seq2Seq::<H>::build(&dev);
    let mut adam = Adam::new(
        &model,
        AdamConfig {
            lr: budget.learning_rate,
            ..Default::default()
        },
    );
    let mut rng = StdRng::seed_from_u64(budget.seed.wrapping_add(1));
    let random =
        |rng: &mut StdRng| (0..len).map(|_| rng.gen_range(0..VOCAB)).collect();
    let held_out: Vec<Vec<usize>> =
        (0..HELD_OUT).map(|_| random(&mut rng)).collect();
    let unseen: HashSet<&Vec<usize>> = held_out.iter().collect();
    let mut grads = model.alloc_grads();
    for step in 1..=budget.steps {
        let batch: Vec<Vec<usize>> = (0..BATCH)
            .map(|_| loop {
                let s = random(&mut rng);
                if !unseen.contains(&s) {
                    break s;
                }
            })
            .collect();
        let (source, inputs, targets) = teacher_forced::<BATCH>(&dev, &batch);
        let loss =
            model.loss(dev.zeros().traced(grads), &source, &inputs, &targets);
        grads = loss.backward();
        adam.update(&mut model, &grads)
            .map_err(|err| anyhow!("Adam step {step}: {err:?}"))?;
        model.zero_grads(&mut grads);
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(token_accuracy::<H, HELD_OUT>(&model, &held_out))
}
