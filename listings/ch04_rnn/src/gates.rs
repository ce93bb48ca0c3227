//! What a trained LSTM's gates do on the adding problem.

use crate::adding::{AddingBatch, INPUTS};
use crate::cells::LstmCell;
use dfdx::prelude::*;

/// Gate activations of one unit, averaged over the marked and over the other
/// steps.
#[derive(Clone, Debug, PartialEq)]
pub struct GateAverages {
    pub unit: usize,
    pub input_marked: f64,
    pub input_unmarked: f64,
    pub forget_marked: f64,
    pub forget_unmarked: f64,
}

/// The gates of one sequence, step by step, `T × H` row by row.
#[derive(Clone, Debug, PartialEq)]
pub struct GateTrace {
    pub input: Vec<f32>,
    pub forget: Vec<f32>,
    pub marks: [usize; 2],
}

// ANCHOR: gate_averages
/// For every unit `j`, the mean input and forget gate over the marked steps and
/// over the others, on the sequences of `batch`.
pub fn gate_averages<const H: usize, const B: usize>(
    cell: &LstmCell<INPUTS, H>,
    batch: &AddingBatch<B>,
) -> Vec<GateAverages> {
    let dev = batch.targets.device();
    let (_, _, gates) = cell.run_with_gates(dev.zeros(), &batch.xs);
    let mut sums = vec![[0.0f64; 4]; H]; // input/forget × marked/unmarked
    for (t, step) in gates.iter().enumerate() {
        let (input, forget) = (step.input.as_vec(), step.forget.as_vec());
        for (n, marks) in batch.marks.iter().enumerate() {
            let column = if marks.contains(&t) { 0 } else { 1 };
            for (j, sum) in sums.iter_mut().enumerate() {
                sum[column] += input[n * H + j] as f64;
                sum[2 + column] += forget[n * H + j] as f64;
            }
        }
    }
    let marked = (2 * B) as f64;
    let unmarked = ((gates.len() - 2) * B) as f64;
    let averages = sums.iter().enumerate().map(|(unit, s)| GateAverages {
        unit,
        input_marked: s[0] / marked,
        input_unmarked: s[1] / unmarked,
        forget_marked: s[2] / marked,
        forget_unmarked: s[3] / unmarked,
    });
    averages.collect()
}
// ANCHOR_END: gate_averages

/// The unit whose input gate opens most at the marked steps, compared with the
/// others.
pub fn most_selective(averages: &[GateAverages]) -> Option<&GateAverages> {
    let gap = |a: &&GateAverages| a.input_marked - a.input_unmarked;
    averages.iter().max_by(|a, b| gap(a).total_cmp(&gap(b)))
}

/// The gates of sequence `n` of `batch`.
pub fn gate_trace<const H: usize, const B: usize>(
    cell: &LstmCell<INPUTS, H>,
    batch: &AddingBatch<B>,
    n: usize,
) -> GateTrace {
    let dev = batch.targets.device();
    let (_, _, gates) = cell.run_with_gates(dev.zeros(), &batch.xs);
    let row =
        |t: &Tensor<Rank2<B, H>, f32, _>| t.as_vec()[n * H..][..H].to_vec();
    GateTrace {
        input: gates.iter().flat_map(|g| row(&g.input)).collect(),
        forget: gates.iter().flat_map(|g| row(&g.forget)).collect(),
        marks: batch.marks[n],
    }
}
