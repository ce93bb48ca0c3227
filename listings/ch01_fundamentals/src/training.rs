//! What the scratch and the dfdx versions share, so that they train the same way: the data,
//! the budget, the order of the minibatches, and how accuracy is counted.

use dudl::data::{two_moons, Points2d};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Minibatch size B (a constant: dfdx's tensor types carry it).
pub const BATCH: usize = 32;

/// How long to train and how fast.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Gradient-descent steps, one minibatch each.
    pub steps: usize,
    /// Learning rate η.
    pub lr: f64,
}

impl Budget {
    /// The budget of `cargo run --release` (`quick = false`) or of the tests (`quick = true`).
    pub fn new(quick: bool) -> Budget {
        Budget {
            steps: if quick { 1_000 } else { 3_000 },
            lr: 0.5,
        }
    }
}

/// Two moons, 600 points with noise 0.2, split into 450 for training and 150 held out.
pub fn moons() -> (Points2d, Points2d) {
    two_moons(600, 0.2, 7).split(0.25, 8)
}

/// The minibatches of one training run: `steps` lists of [`BATCH`] indices into `0..n`,
/// reshuffled every epoch, the same for every model trained with `seed`. None when `n` is 0.
pub fn minibatches(n: usize, steps: usize, seed: u64) -> Vec<Vec<usize>> {
    if n == 0 {
        return Vec::new();
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = Vec::new();
    (0..steps)
        .map(|_| {
            while order.len() < BATCH {
                let mut epoch: Vec<usize> = (0..n).collect();
                epoch.shuffle(&mut rng);
                order.extend(epoch);
            }
            order.drain(..BATCH).collect()
        })
        .collect()
}

/// The share of `data` that `predict` (a point → the probability of class 1) gets right.
pub fn accuracy(data: &Points2d, predict: impl Fn([f32; 2]) -> f64) -> f64 {
    let correct = data
        .points
        .iter()
        .zip(&data.labels)
        .filter(|(&p, &label)| (predict(p) > 0.5) == (label == 1))
        .count();
    correct as f64 / data.len() as f64
}

/// The mean of every `window` consecutive values: a readable curve from noisy minibatch losses.
pub fn smooth(values: &[f64], window: usize) -> Vec<f64> {
    values
        .chunks(window)
        .map(|chunk| chunk.iter().sum::<f64>() / chunk.len() as f64)
        .collect()
}

/// The mean of the last `window` losses (or of all, when there are fewer): the loss at the
/// end of training, without the noise of a single minibatch.
pub fn final_loss(losses: &[f64], window: usize) -> f64 {
    let tail = &losses[losses.len().saturating_sub(window)..];
    tail.iter().sum::<f64>() / tail.len() as f64
}
