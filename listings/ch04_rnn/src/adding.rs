//! The adding problem (Hochreiter & Schmidhuber, 1997): a sequence of random
//! numbers, two of them marked; the target is the sum of the two marked
//! numbers. Generated with a seed.

use crate::cells::Batch;
use crate::Dev;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::Rng;

/// Each step's input: the number and its marker.
pub const INPUTS: usize = 2;

/// The mean squared error of always predicting 1, the mean of the target: its
/// variance, `Var(u₁ + u₂) = 2 · 1/12 = 1/6`.
pub const BASELINE_MSE: f64 = 1.0 / 6.0;

// ANCHOR: sample
/// `B` adding-problem sequences of length `len`, as `len` inputs `(B, 2)` and
/// the targets `(B, 1)`. Column 0 of an input holds `u ~ U(0, 1)`, column 1 the
/// marker: one marked position in the first half of the sequence, one in the
/// second.
pub struct AddingBatch<const B: usize> {
    pub xs: Vec<Batch<B, INPUTS>>,
    pub targets: Batch<B, 1>,
    /// The two marked positions of each sequence.
    pub marks: Vec<[usize; 2]>,
}

pub fn sample<const B: usize>(
    dev: &Dev,
    rng: &mut StdRng,
    len: usize,
) -> AddingBatch<B> {
    // Step t of sequence n is at t * B + n.
    let mut steps = vec![[0.0f32; INPUTS]; len * B];
    let (mut targets, mut marks) =
        (Vec::with_capacity(B), Vec::with_capacity(B));
    for n in 0..B {
        let pair = [rng.gen_range(0..len / 2), rng.gen_range(len / 2..len)];
        for t in 0..len {
            steps[t * B + n][0] = rng.gen();
        }
        for &t in &pair {
            steps[t * B + n][1] = 1.0;
        }
        targets.push(pair.iter().map(|&t| steps[t * B + n][0]).sum());
        marks.push(pair);
    }
    let xs = steps
        .chunks(B)
        .map(|step| {
            dev.tensor_from_vec(step.concat(), (Const::<B>, Const::<INPUTS>))
        })
        .collect();
    let targets = dev.tensor_from_vec(targets, (Const::<B>, Const::<1>));
    AddingBatch { xs, targets, marks }
}
// ANCHOR_END: sample
