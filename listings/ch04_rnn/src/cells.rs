//! The three recurrent cells, written with dfdx ops: a tanh RNN, the LSTM and the GRU.
//!
//! Every cell maps an input `x_t` `(B, I)` and its state to the next state. Shapes are
//! types: `I` inputs, `H` hidden units, `B` sequences in a batch. The gradient tape travels
//! with the hidden state, so one tape records a whole sequence.

use crate::Dev;
use dfdx::nn::modules::{Linear, UnbiasedLinear};
use dfdx::prelude::*;

/// A batch of `B` vectors of width `N`, recorded on tape `Tp` (none by
/// default).
///
/// A cell takes inputs and states of its own widths only:
///
/// ```
/// use ch04_rnn::cells::{Batch, RnnCell};
/// use dfdx::prelude::*;
/// let dev = ch04_rnn::Dev::default();
/// let cell = RnnCell::<2, 16>::build(&dev);
/// let (x, h): (Batch<4, 2>, Batch<4, 16>) = (dev.zeros(), dev.zeros());
/// let next: Batch<4, 16> = cell.step(x, h);
/// ```
///
/// and a state of the wrong width does not compile:
///
/// ```compile_fail
/// use ch04_rnn::cells::{Batch, RnnCell};
/// use dfdx::prelude::*;
/// let dev = ch04_rnn::Dev::default();
/// let cell = RnnCell::<2, 16>::build(&dev);
/// let (x, h): (Batch<4, 2>, Batch<4, 8>) = (dev.zeros(), dev.zeros());
/// let next = cell.step(x, h);
/// ```
pub type Batch<const B: usize, const N: usize, Tp = NoneTape> =
    Tensor<Rank2<B, N>, f32, Dev, Tp>;

// ANCHOR: affine
/// One gate's pre-activation `W x + U h + b`: `w` holds `W` `(H × I)` and `b`,
/// `u` holds the recurrent weights `U` `(H × H)`.
#[derive(Clone, Debug)]
pub struct Affine<
    const I: usize,
    const H: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub w: Linear<I, H, E, D>,
    pub u: UnbiasedLinear<H, H, E, D>,
}

impl<const I: usize, const H: usize> Affine<I, H> {
    /// `W x + U h + b`. The input joins with an empty tape of its own, so that
    /// `W` and `b` get gradients too; the tape of `h` stays on the left and
    /// grows.
    pub fn forward<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        x: Batch<B, I>,
        h: Batch<B, H, Tp>,
    ) -> Batch<B, H, Tp> {
        self.u.forward(h) + self.w.forward(x.put_tape(Tp::default()))
    }
}
// ANCHOR_END: affine

// ANCHOR: rnn
/// The vanilla recurrent cell: `h_t = tanh(W x_t + U h_{t−1} + b)`.
#[derive(Clone, Debug)]
pub struct RnnCell<
    const I: usize,
    const H: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub hidden: Affine<I, H, E, D>,
}

impl<const I: usize, const H: usize> RnnCell<I, H> {
    pub fn step<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        x: Batch<B, I>,
        h: Batch<B, H, Tp>,
    ) -> Batch<B, H, Tp> {
        self.hidden.forward(x, h).tanh()
    }
}
// ANCHOR_END: rnn

/// What the LSTM's gates did at one step, each `(B, H)`: for looking, not for
/// training.
#[derive(Clone, Debug)]
pub struct Gates<const B: usize, const H: usize> {
    pub input: Batch<B, H>,
    pub forget: Batch<B, H>,
    pub output: Batch<B, H>,
}

// ANCHOR: lstm
/// The LSTM: a cell state `c` beside the hidden state `h`, three gates and a
/// candidate.
#[derive(Clone, Debug)]
pub struct LstmCell<
    const I: usize,
    const H: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub input: Affine<I, H, E, D>,
    pub forget: Affine<I, H, E, D>,
    pub candidate: Affine<I, H, E, D>,
    pub output: Affine<I, H, E, D>,
}

/// The LSTM's state `(h, c)`.
pub type LstmState<const B: usize, const H: usize, Tp> =
    (Batch<B, H, Tp>, Batch<B, H, Tp>);

impl<const I: usize, const H: usize> LstmCell<I, H> {
    /// One step from `(h, c)` to `(h_t, c_t)`, with the gates `i_t, f_t, o_t`.
    pub fn step<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        x: Batch<B, I>,
        (h, c): LstmState<B, H, Tp>,
    ) -> (LstmState<B, H, Tp>, Gates<B, H>) {
        let h_in = || h.with_empty_tape();
        let i = self.input.forward(x.clone(), h_in()).sigmoid();
        let f = self.forget.forward(x.clone(), h_in()).sigmoid();
        let g = self.candidate.forward(x.clone(), h_in()).tanh();
        let o = self.output.forward(x, h).sigmoid();
        let gates = Gates {
            input: i.retaped(),
            forget: f.retaped(),
            output: o.retaped(),
        };
        // c_t = f ⊙ c_{t−1} + i ⊙ g: the additive path through time.
        let c = f * c + i * g;
        let c_next = c.with_empty_tape();
        // h_t = o ⊙ tanh(c_t); the record of `c` joins the tape of `h` here.
        ((o * c.tanh(), c_next), gates)
    }
}
// ANCHOR_END: lstm

// ANCHOR: gru
/// The GRU: an update gate `z` and a reset gate `r`, no separate cell state.
#[derive(Clone, Debug)]
pub struct GruCell<
    const I: usize,
    const H: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub update: Affine<I, H, E, D>,
    pub reset: Affine<I, H, E, D>,
    pub candidate: Affine<I, H, E, D>,
}

impl<const I: usize, const H: usize> GruCell<I, H> {
    pub fn step<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        x: Batch<B, I>,
        h: Batch<B, H, Tp>,
    ) -> Batch<B, H, Tp> {
        let h_in = || h.with_empty_tape();
        let z = self.update.forward(x.clone(), h_in()).sigmoid();
        let r = self.reset.forward(x.clone(), h_in()).sigmoid();
        // n_t = tanh(W x + U (r ⊙ h) + b): the reset gate hides parts of h.
        let n = self.candidate.forward(x, r * h_in()).tanh();
        // h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n_t: keep h, or overwrite it with n.
        let keep = z.with_empty_tape();
        h * keep + n * (z.negate() + 1.0)
    }
}
// ANCHOR_END: gru

// ANCHOR: recurrent
/// A cell run over a whole sequence.
pub trait Recurrent<const I: usize, const H: usize> {
    /// Reads `xs` (`T` inputs `(B, I)`) from the state `h0`, which carries the
    /// tape (an LSTM starts with `c_0 = 0`). Returns `h_T` with the tape, and
    /// `h_1 … h_T` without it (the same tensors, so `grads.get(&h_t)` finds
    /// their gradients).
    fn run<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, I>],
    ) -> (Batch<B, H, Tp>, Vec<Batch<B, H>>);
}
// ANCHOR_END: recurrent

impl<const I: usize, const H: usize> Recurrent<I, H> for RnnCell<I, H> {
    fn run<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, I>],
    ) -> (Batch<B, H, Tp>, Vec<Batch<B, H>>) {
        let mut h = h0;
        let mut states = Vec::with_capacity(xs.len());
        for x in xs {
            h = self.step(x.clone(), h);
            states.push(h.retaped());
        }
        (h, states)
    }
}

impl<const I: usize, const H: usize> Recurrent<I, H> for GruCell<I, H> {
    fn run<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, I>],
    ) -> (Batch<B, H, Tp>, Vec<Batch<B, H>>) {
        let mut h = h0;
        let mut states = Vec::with_capacity(xs.len());
        for x in xs {
            h = self.step(x.clone(), h);
            states.push(h.retaped());
        }
        (h, states)
    }
}

impl<const I: usize, const H: usize> LstmCell<I, H> {
    /// Sets the forget gate's bias to 1, so that `f ≈ σ(1) ≈ 0.73` at the
    /// start: the cell state is mostly kept (Gers et al., 2000; Jozefowicz et
    /// al., 2015).
    pub fn with_forget_bias_one(mut self) -> Self {
        self.forget.w.bias.fill_with_ones();
        self
    }

    /// Runs the sequence and also returns every step's gates.
    pub fn run_with_gates<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, I>],
    ) -> (Batch<B, H, Tp>, Vec<Batch<B, H>>, Vec<Gates<B, H>>) {
        let c0 = h0.device().zeros().put_tape(Tp::default());
        let mut state = (h0, c0);
        let (mut states, mut gates) = (Vec::new(), Vec::new());
        for x in xs {
            let (next, step_gates) = self.step(x.clone(), state);
            states.push(next.0.retaped());
            gates.push(step_gates);
            state = next;
        }
        (state.0, states, gates)
    }
}

impl<const I: usize, const H: usize> Recurrent<I, H> for LstmCell<I, H> {
    fn run<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        h0: Batch<B, H, Tp>,
        xs: &[Batch<B, I>],
    ) -> (Batch<B, H, Tp>, Vec<Batch<B, H>>) {
        let (h, states, _) = self.run_with_gates(h0, xs);
        (h, states)
    }
}

macro_rules! collection {
    ($name:ident { $($field:ident),+ }) => {
        impl<const I: usize, const H: usize, D: Device<f32>> TensorCollection<f32, D>
            for $name<I, H, f32, D>
        {
            type To<E2: Dtype, D2: Device<E2>> = $name<I, H, E2, D2>;

            fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
                visitor: &mut V,
            ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
                visitor.visit_fields(
                    ($(Self::module(stringify!($field), |s| &s.$field, |s| &mut s.$field),)+),
                    |($($field,)+)| $name { $($field),+ },
                )
            }
        }
    };
}

collection!(Affine { w, u });
collection!(RnnCell { hidden });
collection!(LstmCell {
    input,
    forget,
    candidate,
    output
});
collection!(GruCell {
    update,
    reset,
    candidate
});
