//! Adebayo et al.'s model-randomization test: re-initialize the trained network's layers
//! from the top down and ask whether an explanation notices.

use crate::model::Model;
use dfdx::nn::ResetParams;

// ANCHOR: spearman
/// Ranks `1..=n` of `values`, ties given the mean of the ranks they span.
pub fn ranks(values: &[f32]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let value = values[order[start]];
        let end = (start..order.len())
            .find(|&i| values[order[i]] != value)
            .unwrap_or(order.len());
        // The tied items take 1-based ranks start + 1 ..= end: their mean.
        let mean_rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = mean_rank);
        start = end;
    }
    ranks
}

/// Spearman's rank correlation: Pearson's correlation of the ranks; 0 when
/// either side is constant.
pub fn spearman(a: &[f32], b: &[f32]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = |r: &[f64]| r.iter().sum::<f64>() / r.len() as f64;
    let (ma, mb) = (mean(&ra), mean(&rb));
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}
// ANCHOR_END: spearman

/// The layers in the order the cascade re-initializes them: top first.
pub const LAYERS: [&str; 4] = ["linear", "conv3", "conv2", "conv1"];

// ANCHOR: cascade
/// The trained model, then copies with 1, 2, … of its layers re-initialized
/// from the top (`LAYERS` order), each copy keeping the previous ones'
/// randomization: `LAYERS.len() + 1` models.
pub fn cascade<const K: usize>(trained: &Model<K>) -> Vec<Model<K>> {
    let mut models = vec![trained.clone()];
    for layer in 0..LAYERS.len() {
        let mut next = models[layer].clone();
        let (((conv1, _, _), (conv2, _), (conv3, _)), (_, linear)) = &mut next;
        match layer {
            0 => linear.reset_params(),
            1 => conv3.reset_params(),
            2 => conv2.reset_params(),
            _ => conv1.reset_params(),
        }
        models.push(next);
    }
    models
}
// ANCHOR_END: cascade
