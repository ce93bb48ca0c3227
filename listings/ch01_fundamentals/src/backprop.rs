//! Backpropagation in matrix form for a stack of dense layers, a whole batch
//! at once: the same gradients as the scalar tape, as a few matrix products.
//!
//! With the batch in rows, A⁽⁰⁾ = X ∈ ℝ^{B×n₀}, layer l computes
//! Z⁽ˡ⁾ = A⁽ˡ⁻¹⁾ W⁽ˡ⁾ᵀ + 1 b⁽ˡ⁾ᵀ and A⁽ˡ⁾ = f(Z⁽ˡ⁾). From Δ⁽ᴸ⁾ = ∂L/∂Z⁽ᴸ⁾,
//! ∂L/∂W⁽ˡ⁾ = Δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾, ∂L/∂b⁽ˡ⁾ = Δ⁽ˡ⁾ᵀ 1 and
//! Δ⁽ˡ⁻¹⁾ = (Δ⁽ˡ⁾ W⁽ˡ⁾) ⊙ f′(Z⁽ˡ⁻¹⁾).

use crate::activations::{relu_prime, sigmoid, sigmoid_prime, tanh_prime};
use crate::mlp_scratch::{Hidden, Mlp};
use dudl::data::Points2d;

/// A row-major matrix of `rows × cols` numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    /// The matrix whose entry (i, j) is `f(i, j)`.
    pub fn from_fn(
        rows: usize,
        cols: usize,
        f: impl Fn(usize, usize) -> f64,
    ) -> Matrix {
        let data = (0..rows * cols).map(|k| f(k / cols, k % cols)).collect();
        Matrix { rows, cols, data }
    }

    /// Entry (i, j).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Σ_k self[i, k] · other[k, j] over the shared index, for `op(self) · op(other)`
    /// where `op` transposes when asked.
    fn product(&self, t_self: bool, other: &Matrix, t_other: bool) -> Matrix {
        let get = |m: &Matrix, t: bool, i: usize, j: usize| {
            if t {
                m.at(j, i)
            } else {
                m.at(i, j)
            }
        };
        let (rows, inner) = if t_self {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        };
        let cols = if t_other { other.rows } else { other.cols };
        Matrix::from_fn(rows, cols, |i, j| {
            (0..inner)
                .map(|k| get(self, t_self, i, k) * get(other, t_other, k, j))
                .sum()
        })
    }

    /// Entrywise `f(self[i, j], other[i, j])`.
    fn zip(&self, other: &Matrix, f: impl Fn(f64, f64) -> f64) -> Matrix {
        let data = self.data.iter().zip(&other.data);
        let data = data.map(|(&a, &b)| f(a, b)).collect();
        Matrix { data, ..*self }
    }

    /// Entrywise `f(self[i, j])`.
    fn map(&self, f: impl Fn(f64) -> f64) -> Matrix {
        let data = self.data.iter().map(|&a| f(a)).collect();
        Matrix { data, ..*self }
    }

    /// `self + 1 rowᵀ`: `row` (1 × cols) added to every row.
    fn add_row(&self, row: &Matrix) -> Matrix {
        Matrix::from_fn(self.rows, self.cols, |i, j| {
            self.at(i, j) + row.at(0, j)
        })
    }

    /// `selfᵀ 1`: the sum of every column.
    fn column_sums(&self) -> Vec<f64> {
        let sum = |j: usize| (0..self.rows).map(|i| self.at(i, j)).sum();
        (0..self.cols).map(sum).collect()
    }

    /// The Frobenius norm √(Σ m_ij²).
    pub fn norm(&self) -> f64 {
        self.data.iter().map(|x| x * x).sum::<f64>().sqrt()
    }
}

/// A function of one real number.
type Scalar = fn(f64) -> f64;

/// The hidden activation f and its derivative f′.
fn activation(hidden: Hidden) -> (Scalar, Scalar) {
    match hidden {
        Hidden::Sigmoid => (sigmoid, sigmoid_prime),
        Hidden::Tanh => (f64::tanh, tanh_prime),
        Hidden::Relu => (crate::activations::relu, relu_prime),
    }
}

/// One layer's parameters as matrices: W⁽ˡ⁾ (n_l × n_{l−1}) and b⁽ˡ⁾ (1 × n_l).
fn layer(mlp: &Mlp, theta: &[f64], l: usize) -> (Matrix, Matrix) {
    let (w, b) = mlp.layer(theta, l);
    let (n_in, n_out) = (mlp.sizes[l], mlp.sizes[l + 1]);
    (
        Matrix {
            rows: n_out,
            cols: n_in,
            data: w.to_vec(),
        },
        Matrix {
            rows: 1,
            cols: n_out,
            data: b.to_vec(),
        },
    )
}

/// The gradients of one batch: ∇θ L laid out like `Mlp::theta`, and the error
/// signal Δ⁽ˡ⁾ = ∂L/∂Z⁽ˡ⁾ of every layer (input side first).
pub struct Backprop {
    pub loss: f64,
    pub grad: Vec<f64>,
    pub deltas: Vec<Matrix>,
}

// ANCHOR: matrix_forward
/// The forward pass of a batch X (B × n₀): the activations A⁽⁰⁾ = X, …,
/// A⁽ᴸ⁻¹⁾ and the pre-activations Z⁽¹⁾, …, Z⁽ᴸ⁾ (the last are the logits).
pub fn forward(mlp: &Mlp, x: Matrix) -> (Vec<Matrix>, Vec<Matrix>) {
    let (f, _) = activation(mlp.hidden);
    let layers = mlp.sizes.len() - 1;
    let (mut a, mut z) = (vec![x], Vec::new());
    for l in 0..layers {
        let (w, b) = layer(mlp, &mlp.theta, l);
        let z_l = a[l].product(false, &w, true).add_row(&b); // A Wᵀ + 1 bᵀ
        if l + 1 < layers {
            a.push(z_l.map(f));
        }
        z.push(z_l);
    }
    (a, z)
}
// ANCHOR_END: matrix_forward

/// The mean squared error (1/B) Σ_i (σ(z_i) − y_i)² of the logits (B × 1)
/// and its error signal Δ⁽ᴸ⁾ = ∂L/∂Z⁽ᴸ⁾ = (2/B)(σ(z) − y) σ′(z).
fn squared_error(logits: &Matrix, labels: &[f64]) -> (f64, Matrix) {
    let n = labels.len() as f64;
    let error = |i: usize| sigmoid(logits.at(i, 0)) - labels[i];
    let loss = (0..labels.len()).map(|i| error(i).powi(2)).sum::<f64>() / n;
    let delta = Matrix::from_fn(labels.len(), 1, |i, _| {
        2.0 * error(i) * sigmoid_prime(logits.at(i, 0)) / n
    });
    (loss, delta)
}

// ANCHOR: matrix_backprop
/// The loss of `batch` and its gradient, by backpropagation in matrix form.
pub fn backprop(mlp: &Mlp, data: &Points2d, batch: &[usize]) -> Backprop {
    let (_, f_prime) = activation(mlp.hidden);
    let x =
        Matrix::from_fn(batch.len(), 2, |i, j| data.points[batch[i]][j] as f64);
    let labels: Vec<f64> =
        batch.iter().map(|&i| data.labels[i] as f64).collect();
    let (a, z) = forward(mlp, x);
    let (loss, mut delta) = squared_error(&z[z.len() - 1], &labels);
    let (mut grads, mut deltas) = (Vec::new(), Vec::new());
    for l in (0..z.len()).rev() {
        let grad_w = delta.product(true, &a[l], false); // Δᵀ A
        let grad_b = delta.column_sums(); // Δᵀ 1
        grads.push([grad_w.data, grad_b].concat());
        deltas.push(delta.clone());
        if l > 0 {
            let (w, _) = layer(mlp, &mlp.theta, l);
            let back = delta.product(false, &w, false); // Δ W
            delta = back.zip(&z[l - 1], |g, z| g * f_prime(z)); // ⊙ f′(Z)
        }
    }
    grads.reverse();
    deltas.reverse();
    Backprop {
        loss,
        grad: grads.concat(),
        deltas,
    }
}
// ANCHOR_END: matrix_backprop
