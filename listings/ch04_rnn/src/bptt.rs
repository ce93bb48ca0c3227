//! Backpropagation through time for the tanh RNN, from scratch in plain Rust:
//! one sequence, `f64`, every product written out. The dfdx cell must give the
//! same gradients.

/// `h_t = tanh(W x_t + U h_{t−1} + b)`, matrices row by row: `W` is `H × I`,
/// `U` is `H × H`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScratchRnn {
    pub inputs: usize,
    pub hidden: usize,
    pub w: Vec<f64>,
    pub u: Vec<f64>,
    pub b: Vec<f64>,
}

/// Gradients of the loss with respect to `W`, `U` and `b`, and to every state
/// `h_0 … h_T`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScratchGradients {
    pub w: Vec<f64>,
    pub u: Vec<f64>,
    pub b: Vec<f64>,
    pub states: Vec<Vec<f64>>,
}

/// `M v` for an `rows × v.len()` matrix `m`.
fn matvec(m: &[f64], v: &[f64]) -> Vec<f64> {
    m.chunks(v.len())
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

/// `Mᵀ v` for a `v.len() × cols` matrix `m`.
fn transposed_matvec(m: &[f64], v: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; cols];
    for (row, &vi) in m.chunks(cols).zip(v) {
        out.iter_mut().zip(row).for_each(|(o, &mij)| *o += mij * vi);
    }
    out
}

// ANCHOR: forward
impl ScratchRnn {
    /// The states `h_0 = 0, h_1, …, h_T` for the inputs `x_1 … x_T`.
    pub fn forward(&self, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let mut states = vec![vec![0.0; self.hidden]];
        for x in xs {
            let (wx, uh) = (
                matvec(&self.w, x),
                matvec(&self.u, &states[states.len() - 1]),
            );
            let h = (0..self.hidden)
                .map(|j| (wx[j] + uh[j] + self.b[j]).tanh())
                .collect();
            states.push(h);
        }
        states
    }
}
// ANCHOR_END: forward

// ANCHOR: backward
impl ScratchRnn {
    /// Given `∂L/∂h_T`, walks back through time. At step `t`, with `z_t` the
    /// pre-activation, `δ_t = ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²)`; then
    /// `∂L/∂W += δ_t x_tᵀ`, `∂L/∂U += δ_t h_{t−1}ᵀ`, `∂L/∂b += δ_t`, and
    /// `∂L/∂h_{t−1} = Uᵀ δ_t`: one Jacobian product per step back.
    pub fn backward(
        &self,
        xs: &[Vec<f64>],
        states: &[Vec<f64>],
        grad_last: &[f64],
    ) -> ScratchGradients {
        let (i_n, h_n) = (self.inputs, self.hidden);
        let mut w = vec![0.0; h_n * i_n];
        let mut u = vec![0.0; h_n * h_n];
        let mut b = vec![0.0; h_n];
        let mut grad_states = vec![grad_last.to_vec()];
        for t in (1..=xs.len()).rev() {
            let grad_h = &grad_states[grad_states.len() - 1];
            let delta: Vec<f64> = (0..h_n)
                .map(|j| grad_h[j] * (1.0 - states[t][j].powi(2)))
                .collect();
            let (x, h_prev) = (&xs[t - 1], &states[t - 1]);
            for (j, &d) in delta.iter().enumerate() {
                let w_row = &mut w[j * i_n..][..i_n];
                w_row.iter_mut().zip(x).for_each(|(w, x)| *w += d * x);
                let u_row = &mut u[j * h_n..][..h_n];
                u_row.iter_mut().zip(h_prev).for_each(|(u, h)| *u += d * h);
                b[j] += d;
            }
            grad_states.push(transposed_matvec(&self.u, &delta, h_n));
        }
        grad_states.reverse(); // ∂L/∂h_0 … ∂L/∂h_T
        ScratchGradients {
            w,
            u,
            b,
            states: grad_states,
        }
    }
}
// ANCHOR_END: backward
