//! Each cell's gradients, computed by dfdx through the whole sequence, match finite
//! differences; the from-scratch BPTT matches dfdx.

use ch04_rnn::bptt::ScratchRnn;
use ch04_rnn::cells::{Affine, Batch, GruCell, LstmCell, Recurrent, RnnCell};
use ch04_rnn::Dev;
use dfdx::prelude::*;
use dudl::gradcheck::{max_error, numerical_gradient};

const B: usize = 2;
const I: usize = 3;
const H: usize = 4;
const T: usize = 6;

/// Random inputs and a random read-out direction `u`: the loss is `Σ u ⊙ h_T`.
fn problem(seed: u64) -> (Vec<Batch<B, I>>, Batch<B, H>) {
    let dev = Dev::seed_from_u64(seed);
    let xs = (0..T).map(|_| dev.sample_normal()).collect();
    (xs, dev.sample_normal())
}

fn loss<C: Recurrent<I, H>>(
    cell: &C,
    xs: &[Batch<B, I>],
    u: &Batch<B, H>,
) -> f64 {
    let (h_last, _) = cell.run(u.device().zeros(), xs);
    let total: Tensor<Rank0, f32, Dev> = (h_last * u.clone()).sum();
    total.array() as f64
}

fn to_f64(values: Vec<f32>) -> Vec<f64> {
    values.into_iter().map(f64::from).collect()
}

/// dfdx's gradient of the loss with respect to one parameter tensor of `cell`.
fn dfdx_gradient<C, S: Shape>(
    cell: &C,
    xs: &[Batch<B, I>],
    u: &Batch<B, H>,
    param: impl Fn(&mut C) -> &mut Tensor<S, f32, Dev>,
) -> Vec<f64>
where
    C: Recurrent<I, H> + TensorCollection<f32, Dev> + Clone,
{
    let h0: Batch<B, H, _> = u.device().zeros().traced(cell.alloc_grads());
    let (h_last, _) = cell.run(h0, xs);
    let grads = (h_last * u.clone()).sum().backward();
    to_f64(grads.get(param(&mut cell.clone())).as_vec())
}

/// The central difference of the loss with respect to the same tensor, in `f32` with
/// step `1e-2`.
fn numeric_gradient<C, S: Shape>(
    cell: &C,
    xs: &[Batch<B, I>],
    u: &Batch<B, H>,
    param: impl Fn(&mut C) -> &mut Tensor<S, f32, Dev>,
) -> Vec<f64>
where
    C: Recurrent<I, H> + Clone,
{
    let mut probe = cell.clone();
    let start = to_f64(param(&mut probe).as_vec());
    let f = |values: &[f64]| {
        let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        param(&mut probe).copy_from(&values);
        loss(&probe, xs, u)
    };
    numerical_gradient(f, &start, 1e-2)
}

fn check_tensor<C, S: Shape>(
    cell: &C,
    xs: &[Batch<B, I>],
    u: &Batch<B, H>,
    param: impl Fn(&mut C) -> &mut Tensor<S, f32, Dev> + Copy,
) -> f64
where
    C: Recurrent<I, H> + TensorCollection<f32, Dev> + Clone,
{
    let analytic = dfdx_gradient(cell, xs, u, param);
    max_error(&analytic, &numeric_gradient(cell, xs, u, param))
}

/// Checks `W`, `b` and `U` of every affine map of `cell`.
fn check_cell<C>(
    cell: C,
    affines: &[fn(&mut C) -> &mut Affine<I, H>],
    seed: u64,
) -> f64
where
    C: Recurrent<I, H> + TensorCollection<f32, Dev> + Clone,
{
    let (xs, u) = problem(seed);
    let mut worst: f64 = 0.0;
    for affine in affines {
        worst = worst
            .max(check_tensor(&cell, &xs, &u, |c| &mut affine(c).w.weight));
        worst =
            worst.max(check_tensor(&cell, &xs, &u, |c| &mut affine(c).w.bias));
        worst = worst
            .max(check_tensor(&cell, &xs, &u, |c| &mut affine(c).u.weight));
    }
    worst
}

/// f32 forward passes and a step of 1e-2 leave errors near 1e-4; a wrong gradient is off
/// by far more.
const TOLERANCE: f64 = 1e-3;

#[test]
fn rnn_gradients_match_finite_differences() {
    let cell = RnnCell::<I, H>::build(&Dev::seed_from_u64(1));
    let error = check_cell(cell, &[|c| &mut c.hidden], 11);
    println!("largest error {error:e}");
    assert!(error < TOLERANCE, "largest error {error:e}");
}

#[test]
fn lstm_gradients_match_finite_differences() {
    let cell =
        LstmCell::<I, H>::build(&Dev::seed_from_u64(2)).with_forget_bias_one();
    let affines: [fn(&mut LstmCell<I, H>) -> &mut Affine<I, H>; 4] = [
        |c| &mut c.input,
        |c| &mut c.forget,
        |c| &mut c.candidate,
        |c| &mut c.output,
    ];
    let error = check_cell(cell, &affines, 12);
    println!("largest error {error:e}");
    assert!(error < TOLERANCE, "largest error {error:e}");
}

#[test]
fn gru_gradients_match_finite_differences() {
    let cell = GruCell::<I, H>::build(&Dev::seed_from_u64(3));
    let affines: [fn(&mut GruCell<I, H>) -> &mut Affine<I, H>; 3] =
        [|c| &mut c.update, |c| &mut c.reset, |c| &mut c.candidate];
    let error = check_cell(cell, &affines, 13);
    println!("largest error {error:e}");
    assert!(error < TOLERANCE, "largest error {error:e}");
}

#[test]
fn a_wrong_gradient_fails_the_check() {
    // The check can fail: the gradient of one cell against the finite differences of a
    // cell whose U is 1.5 times larger.
    let cell = RnnCell::<I, H>::build(&Dev::seed_from_u64(1));
    let (xs, u) = problem(11);
    let mut scaled = cell.clone();
    scaled.hidden.u.weight = cell.hidden.u.weight.clone() * 1.5;
    fn recurrent(c: &mut RnnCell<I, H>) -> &mut Tensor<Rank2<H, H>, f32, Dev> {
        &mut c.hidden.u.weight
    }
    let analytic = dfdx_gradient(&cell, &xs, &u, recurrent);
    let error =
        max_error(&analytic, &numeric_gradient(&scaled, &xs, &u, recurrent));
    assert!(error > 1e-2, "error {error:e}");
}

#[test]
fn from_scratch_bptt_matches_dfdx_within_1e_5() {
    let cell = RnnCell::<I, H>::build(&Dev::seed_from_u64(4));
    let (xs, u) = problem(14);
    let h0: Batch<B, H> = u.device().zeros();
    let (h_last, states) = cell.run(h0.leaky_trace(), &xs);
    let grads = (h_last * u.clone()).sum().backward();
    let scratch = ScratchRnn {
        inputs: I,
        hidden: H,
        w: to_f64(cell.hidden.w.weight.as_vec()),
        u: to_f64(cell.hidden.u.weight.as_vec()),
        b: to_f64(cell.hidden.w.bias.as_vec()),
    };
    let (inputs, probe) = (
        xs.iter().map(|x| to_f64(x.as_vec())).collect::<Vec<_>>(),
        to_f64(u.as_vec()),
    );
    // dfdx sums the batch; from scratch, one sequence at a time.
    let (mut w, mut uu, mut b) =
        (vec![0.0; H * I], vec![0.0; H * H], vec![0.0; H]);
    for n in 0..B {
        let sequence: Vec<Vec<f64>> =
            inputs.iter().map(|x| x[n * I..][..I].to_vec()).collect();
        let hs = scratch.forward(&sequence);
        let g = scratch.backward(&sequence, &hs, &probe[n * H..][..H]);
        w.iter_mut().zip(&g.w).for_each(|(a, b)| *a += b);
        uu.iter_mut().zip(&g.u).for_each(|(a, b)| *a += b);
        b.iter_mut().zip(&g.b).for_each(|(a, c)| *a += c);
        // ∂L/∂h_t of this sequence, for every t, equals dfdx's row n.
        let dfdx_states = std::iter::once(&h0).chain(states.iter());
        for (t, state) in dfdx_states.enumerate() {
            let row = to_f64(grads.get(state).as_vec())[n * H..][..H].to_vec();
            let error = max_error(&row, &g.states[t]);
            assert!(error < 1e-5, "∂L/∂h_{t}: {error:e}");
        }
    }
    let dfdx_w = to_f64(grads.get(&cell.hidden.w.weight).as_vec());
    let dfdx_u = to_f64(grads.get(&cell.hidden.u.weight).as_vec());
    let dfdx_b = to_f64(grads.get(&cell.hidden.w.bias).as_vec());
    assert!(max_error(&dfdx_w, &w) < 1e-5);
    assert!(max_error(&dfdx_u, &uu) < 1e-5);
    assert!(max_error(&dfdx_b, &b) < 1e-5);
}
