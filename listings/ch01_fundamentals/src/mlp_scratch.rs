//! A multilayer perceptron on the scratch engine: every weight, every product and every sum
//! is a node on the [`Tape`].

use crate::autodiff::{Tape, Var};
use crate::training::Budget;
use dudl::data::Points2d;
use dudl::progress::Progress;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// The activation of the hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hidden {
    Sigmoid,
    Tanh,
    Relu,
}

impl Hidden {
    fn apply(self, tape: &mut Tape, z: Var) -> Var {
        match self {
            Hidden::Sigmoid => tape.sigmoid(z),
            Hidden::Tanh => tape.tanh(z),
            Hidden::Relu => tape.relu(z),
        }
    }
}

/// A fully connected network. Layer l maps n_(l−1) inputs to n_l outputs,
/// z^(l) = W^(l) a^(l−1) + b^(l), then applies the hidden activation, except the last layer,
/// whose single output is the logit.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Layer widths n₀, …, n_L, e.g. `[2, 16, 16, 1]`.
    pub sizes: Vec<usize>,
    pub hidden: Hidden,
    /// All parameters θ, layer by layer: W^(l) row by row (n_l × n_(l−1), the layout dfdx
    /// uses), then b^(l).
    pub theta: Vec<f64>,
}

impl Mlp {
    /// Weights drawn from N(0, gain² / n_(l−1)), biases 0: gain 1 keeps the variance of z near
    /// that of a (LeCun), gain √2 does so for ReLU (He).
    pub fn new(sizes: &[usize], hidden: Hidden, gain: f64, seed: u64) -> Mlp {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut theta = Vec::new();
        for pair in sizes.windows(2) {
            let (n_in, n_out) = (pair[0], pair[1]);
            let std = gain / (n_in as f64).sqrt();
            theta.extend(
                (0..n_in * n_out)
                    .map(|_| std * rng.sample::<f64, _>(StandardNormal)),
            );
            theta.extend(std::iter::repeat_n(0.0, n_out));
        }
        Mlp {
            sizes: sizes.to_vec(),
            hidden,
            theta,
        }
    }

    /// The parameters of layer `l` (from 0) as `(W, b)` slices of `theta`.
    pub fn layer<'t, T>(&self, theta: &'t [T], l: usize) -> (&'t [T], &'t [T]) {
        let weights = |l: usize| self.sizes[l] * self.sizes[l + 1];
        let start: usize = (0..l).map(|k| weights(k) + self.sizes[k + 1]).sum();
        let (w, rest) = theta[start..].split_at(weights(l));
        (w, &rest[..self.sizes[l + 1]])
    }
}

// ANCHOR: forward
/// z_j = b_j + Σ_i W_ji a_i for every output j of one layer.
fn dense(tape: &mut Tape, w: &[Var], b: &[Var], a: &[Var]) -> Vec<Var> {
    b.iter()
        .enumerate()
        .map(|(j, &b_j)| {
            let row = &w[j * a.len()..(j + 1) * a.len()];
            row.iter().zip(a).fold(b_j, |z, (&w_ji, &a_i)| {
                let product = tape.mul(w_ji, a_i);
                tape.add(z, product)
            })
        })
        .collect()
}

impl Mlp {
    /// One example x through every layer; returns the logit z^(L).
    fn forward(&self, tape: &mut Tape, theta: &[Var], x: &[f64]) -> Var {
        let mut a: Vec<Var> = x.iter().map(|&x_i| tape.leaf(x_i)).collect();
        let layers = self.sizes.len() - 1;
        for l in 0..layers {
            let (w, b) = self.layer(theta, l);
            let z = dense(tape, w, b, &a);
            a = if l + 1 < layers {
                z.into_iter()
                    .map(|z_j| self.hidden.apply(tape, z_j))
                    .collect()
            } else {
                z
            };
        }
        a[0]
    }
}
// ANCHOR_END: forward

// ANCHOR: loss_and_grad
impl Mlp {
    /// The loss L = (1/B) Σ_i (σ(z_i) − y_i)² of the examples
    /// `batch` (indices into `data`) and its gradient ∇θ L,
    /// shaped like `theta`.
    pub fn loss_and_grad(
        &self,
        tape: &mut Tape,
        data: &Points2d,
        batch: &[usize],
    ) -> (f64, Vec<f64>) {
        tape.clear();
        let theta: Vec<Var> =
            self.theta.iter().map(|&p| tape.leaf(p)).collect();
        let mut total = tape.leaf(0.0);
        for &i in batch {
            let [x0, x1] = data.points[i];
            let z = self.forward(tape, &theta, &[x0 as f64, x1 as f64]);
            let a = tape.sigmoid(z);
            let minus_y = tape.leaf(-(data.labels[i] as f64));
            let error = tape.add(a, minus_y);
            let squared = tape.mul(error, error);
            total = tape.add(total, squared);
        }
        let inverse_b = tape.leaf(1.0 / batch.len() as f64);
        let loss = tape.mul(total, inverse_b);
        tape.backward(loss);
        (
            tape.value(loss),
            theta.iter().map(|&p| tape.grad(p)).collect(),
        )
    }
}
// ANCHOR_END: loss_and_grad

// ANCHOR: train
impl Mlp {
    /// Minibatch gradient descent, θ ← θ − η ∇θ L, one step per batch;
    /// returns the loss of every step.
    pub fn train(
        &mut self,
        data: &Points2d,
        batches: &[Vec<usize>],
        budget: Budget,
    ) -> Vec<f64> {
        let mut tape = Tape::new();
        let mut progress = Progress::new(
            format!("scratch MLP ({:?})", self.hidden),
            batches.len(),
        );
        let mut losses = Vec::with_capacity(batches.len());
        for (step, batch) in batches.iter().enumerate() {
            let (loss, grad) = self.loss_and_grad(&mut tape, data, batch);
            for (p, g) in self.theta.iter_mut().zip(&grad) {
                *p -= budget.lr * g;
            }
            losses.push(loss);
            progress.update(step + 1, format!("loss {loss:.4}"));
        }
        progress.finish(format!(
            "loss {:.4}",
            losses.last().copied().unwrap_or(f64::NAN)
        ));
        losses
    }
}
// ANCHOR_END: train

impl Mlp {
    /// The probability σ(z^(L)) that `x` is of class 1.
    pub fn predict(&self, x: [f32; 2]) -> f64 {
        let tape = &mut Tape::new();
        let theta: Vec<Var> =
            self.theta.iter().map(|&p| tape.leaf(p)).collect();
        let z = self.forward(tape, &theta, &[x[0] as f64, x[1] as f64]);
        let a = tape.sigmoid(z);
        tape.value(a)
    }
}

/// The network of the chapter: 2 inputs, two hidden layers of 16 tanh units, 1 logit.
pub fn moons_mlp(seed: u64) -> Mlp {
    Mlp::new(&[2, 16, 16, 1], Hidden::Tanh, 1.0, seed)
}
