use std::borrow::Cow;

use super::ops::{BinaryKernel, UnaryKernel};
use crate::{
    shapes::{Dtype, Shape},
    tensor::{
        cpu::{halves, rows, Cpu},
        unique_id, Tensor, Tensorlike, ZerosTensor,
    },
};

pub trait UnaryDerivative<E> {
    /// Whether the [UnaryDerivative::df] function can re-use the output
    /// from [UnaryDerivative::f].
    const DF_USES_FX: bool;
    /// Whether the derivative of this op can be computed without
    /// any data.
    const HAS_CONST_DF: bool;

    fn f(&self, x: &E) -> E;

    /// Receives `f(x)` if [UnaryDerivative::DF_USES_FX] is true,
    /// otherwise `x`.
    fn df(&self, x: &E) -> E;

    fn const_df(&self) -> E {
        unimplemented!()
    }
}

pub trait BinaryDerivative<E>: std::fmt::Debug {
    /// Whether the derivative of this op can be computed without
    /// any data.
    const HAS_CONST_DF: bool;
    fn f(&self, x: &E, y: &E) -> E;
    fn dfdx(&self, x: &E, y: &E) -> E;
    fn dfdy(&self, x: &E, y: &E) -> E;
    fn const_dfdx(&self) -> E {
        unimplemented!()
    }
    fn const_dfdy(&self) -> E {
        unimplemented!()
    }
}

impl<E: Dtype, Op: UnaryDerivative<E> + Sync> UnaryKernel<Op, E> for Cpu {
    const BACKWARD_WITHOUT_INP: bool = Op::DF_USES_FX;
    const BACKWARD_WITHOUT_DATA: bool = Op::HAS_CONST_DF;

    fn forward<S: Shape>(
        &self,
        op: Op,
        inp: Cow<Tensor<S, E, Self>>,
    ) -> Result<Tensor<S, E, Self>, Self::Err> {
        let mut out = match inp {
            Cow::Borrowed(inp) => {
                // allocate a new data buffer
                Tensor {
                    id: unique_id(),
                    data: inp.data.clone(),
                    shape: inp.shape,
                    strides: inp.strides,
                    device: self.clone(),
                    tape: Default::default(),
                }
            }
            Cow::Owned(mut inp) => {
                // re-use the data buffer
                inp.id = unique_id();
                inp
            }
        };
        // NOTE: we can iterate over buf here because we know inp & out
        // have exact same strides due to clone.
        // dudl: in two halves, one on the helper thread, when large.
        let buf = std::sync::Arc::make_mut(&mut out.data);
        halves([&mut buf[..]], [], &|[out], []| {
            for x in out.iter_mut() {
                *x = op.f(x);
            }
        });
        Ok(out)
    }
    fn backward<S: Shape>(
        &self,
        op: Op,
        inp: &impl Tensorlike<S, E, Self>,
        grad_inp: &mut Self::Vec,
        out: &impl Tensorlike<S, E, Self>,
        grad_out: &Self::Vec,
    ) -> Result<(), Self::Err> {
        // dudl: in two halves, one on the helper thread, when large.
        match (inp.data(), out.data()) {
            (None, None) => {
                let df = op.const_df();
                halves(
                    [&mut grad_inp[..]],
                    [grad_out],
                    &|[grad_inp], [grad_out]| {
                        for (x, go) in grad_inp.iter_mut().zip(grad_out) {
                            *x += df * *go;
                        }
                    },
                );
            }
            (None, Some(out)) => {
                halves(
                    [&mut grad_inp[..]],
                    [out, grad_out],
                    &|[grad_inp], [out, grad_out]| {
                        for ((x, fx), go) in grad_inp.iter_mut().zip(out).zip(grad_out) {
                            *x += op.df(fx) * *go;
                        }
                    },
                );
            }
            (Some(inp), None) => {
                halves(
                    [&mut grad_inp[..]],
                    [inp, grad_out],
                    &|[grad_inp], [inp, grad_out]| {
                        for ((x, i), go) in grad_inp.iter_mut().zip(inp).zip(grad_out) {
                            *x += op.df(i) * *go;
                        }
                    },
                );
            }
            _ => unreachable!(),
        }
        Ok(())
    }
}

impl<E: Dtype, Op: BinaryDerivative<E> + Sync> BinaryKernel<Op, E> for Cpu {
    const BACKWARD_WITHOUT_DATA: bool = Op::HAS_CONST_DF;
    fn forward<S: Shape>(
        &self,
        op: Op,
        lhs: Cow<Tensor<S, E, Self>>,
        rhs: Cow<Tensor<S, E, Self>>,
    ) -> Result<Tensor<S, E, Self>, Self::Err> {
        match (lhs, rhs) {
            (Cow::Borrowed(lhs), Cow::Borrowed(rhs)) => {
                let mut out = self.try_zeros_like(&lhs.shape)?;
                // dudl: both stored in order: one slice loop, in two halves
                // (one on the helper thread) when large.
                if in_order(lhs) && in_order(rhs) {
                    let out_buf = std::sync::Arc::make_mut(&mut out.data);
                    halves(
                        [&mut out_buf[..]],
                        [&lhs.data, &rhs.data],
                        &|[out], [l, r]| {
                            for ((o, l), r) in out.iter_mut().zip(l).zip(r) {
                                *o = op.f(l, r);
                            }
                        },
                    );
                    return Ok(out);
                }
                // dudl: row by row (as in the backward) instead of an
                // index per element; the same values in the same order.
                let (mut lhs_rows, len, lhs_step) = rows(lhs.shape, lhs.strides);
                let (mut rhs_rows, _, rhs_step) = rows(rhs.shape, rhs.strides);
                if len == 0 {
                    return Ok(out);
                }
                let out_buf = std::sync::Arc::make_mut(&mut out.data);
                for out_row in out_buf.chunks_exact_mut(len) {
                    let l0 = lhs_rows.next().unwrap();
                    let r0 = rhs_rows.next().unwrap();
                    if lhs_step == 1 && rhs_step == 1 {
                        let l = &lhs.data[l0..l0 + len];
                        let r = &rhs.data[r0..r0 + len];
                        for ((o, l), r) in out_row.iter_mut().zip(l).zip(r) {
                            *o = op.f(l, r);
                        }
                    } else {
                        for (j, o) in out_row.iter_mut().enumerate() {
                            let l = &lhs.data[l0 + j * lhs_step];
                            *o = op.f(l, &rhs.data[r0 + j * rhs_step]);
                        }
                    }
                }
                Ok(out)
            }
            (Cow::Owned(mut lhs), Cow::Owned(mut rhs)) => {
                let lhs_valid = lhs.strides == lhs.shape.strides();
                let rhs_valid = rhs.strides == rhs.shape.strides();
                if lhs_valid || rhs_valid {
                    let lhs_count = std::sync::Arc::strong_count(&lhs.data);
                    let rhs_count = std::sync::Arc::strong_count(&rhs.data);
                    if rhs_valid && (rhs_count == 1 || !lhs_valid || lhs_count != 1) {
                        rhs.id = unique_id();
                        let (mut lhs_rows, len, step) = rows(lhs.shape, lhs.strides);
                        if len > 0 {
                            let buf = std::sync::Arc::make_mut(&mut rhs.data);
                            for row in buf.chunks_exact_mut(len) {
                                let l0 = lhs_rows.next().unwrap();
                                if step == 1 {
                                    for (r, l) in row.iter_mut().zip(&lhs.data[l0..l0 + len]) {
                                        *r = op.f(l, r);
                                    }
                                } else {
                                    for (j, r) in row.iter_mut().enumerate() {
                                        *r = op.f(&lhs.data[l0 + j * step], r);
                                    }
                                }
                            }
                        }
                        Ok(rhs)
                    } else {
                        lhs.id = unique_id();
                        let (mut rhs_rows, len, step) = rows(rhs.shape, rhs.strides);
                        if len > 0 {
                            let buf = std::sync::Arc::make_mut(&mut lhs.data);
                            for row in buf.chunks_exact_mut(len) {
                                let r0 = rhs_rows.next().unwrap();
                                if step == 1 {
                                    for (l, r) in row.iter_mut().zip(&rhs.data[r0..r0 + len]) {
                                        *l = op.f(l, r);
                                    }
                                } else {
                                    for (j, l) in row.iter_mut().enumerate() {
                                        *l = op.f(l, &rhs.data[r0 + j * step]);
                                    }
                                }
                            }
                        }
                        Ok(lhs)
                    }
                } else {
                    <Self as BinaryKernel<Op, E>>::forward(
                        self,
                        op,
                        Cow::Borrowed(&lhs),
                        Cow::Borrowed(&rhs),
                    )
                }
            }
            _ => unreachable!(),
        }
    }
    fn backward<S: Shape>(
        &self,
        op: Op,
        lhs: &impl Tensorlike<S, E, Self>,
        grad_lhs: &mut Self::Vec,
        rhs: &impl Tensorlike<S, E, Self>,
        grad_rhs: &mut Self::Vec,
        grad_out: &Self::Vec,
    ) -> Result<(), Self::Err> {
        // dudl: row by row; each element's two gradients are accumulated
        // in the same order as before, so results are unchanged.
        let (mut lhs_rows, len, lhs_step) = rows(*lhs.shape(), lhs.strides());
        let (mut rhs_rows, _, rhs_step) = rows(*rhs.shape(), rhs.strides());
        if len == 0 {
            return Ok(());
        }
        // NOTE: the outcome of this op is contiguous from forward
        let out_rows = grad_out.chunks_exact(len);
        match (lhs.data(), rhs.data()) {
            // (Each gradient is as long as its tensor's buffer.)
            (Some(lhs_buf), Some(rhs_buf)) if in_order(lhs) && in_order(rhs) => {
                // dudl: one slice loop, in two halves (one on the helper
                // thread) when large.
                let outputs = [&mut grad_lhs[..], &mut grad_rhs[..]];
                halves(
                    outputs,
                    [lhs_buf, rhs_buf, grad_out],
                    &|[gl, gr], [ls, rs, go]| {
                        for ((((l, r), gl), gr), &go) in ls
                            .iter()
                            .zip(rs)
                            .zip(gl.iter_mut())
                            .zip(gr.iter_mut())
                            .zip(go)
                        {
                            *gl += op.dfdx(l, r) * go;
                            *gr += op.dfdy(l, r) * go;
                        }
                    },
                );
            }
            (Some(lhs_buf), Some(rhs_buf)) => {
                for go_row in out_rows {
                    let l0 = lhs_rows.next().unwrap();
                    let r0 = rhs_rows.next().unwrap();
                    if lhs_step == 1 && rhs_step == 1 {
                        let ls = &lhs_buf[l0..l0 + len];
                        let rs = &rhs_buf[r0..r0 + len];
                        let gl = &mut grad_lhs[l0..l0 + len];
                        let gr = &mut grad_rhs[r0..r0 + len];
                        for ((((l, r), gl), gr), &go) in
                            ls.iter().zip(rs).zip(gl).zip(gr).zip(go_row)
                        {
                            *gl += op.dfdx(l, r) * go;
                            *gr += op.dfdy(l, r) * go;
                        }
                        continue;
                    }
                    for (j, &go) in go_row.iter().enumerate() {
                        let lhs_i = l0 + j * lhs_step;
                        let rhs_i = r0 + j * rhs_step;
                        let l = &lhs_buf[lhs_i];
                        let r = &rhs_buf[rhs_i];
                        grad_lhs[lhs_i] += op.dfdx(l, r) * go;
                        grad_rhs[rhs_i] += op.dfdy(l, r) * go;
                    }
                }
            }
            (None, None) => {
                assert!(Op::HAS_CONST_DF);
                let dx = op.const_dfdx();
                let dy = op.const_dfdy();
                for go_row in out_rows {
                    let l0 = lhs_rows.next().unwrap();
                    let r0 = rhs_rows.next().unwrap();
                    if lhs_step == 1 && rhs_step == 1 {
                        let gl = &mut grad_lhs[l0..l0 + len];
                        let gr = &mut grad_rhs[r0..r0 + len];
                        for ((gl, gr), &go) in gl.iter_mut().zip(gr).zip(go_row) {
                            *gl += dx * go;
                            *gr += dy * go;
                        }
                        continue;
                    }
                    for (j, &go) in go_row.iter().enumerate() {
                        grad_lhs[l0 + j * lhs_step] += dx * go;
                        grad_rhs[r0 + j * rhs_step] += dy * go;
                    }
                }
            }
            _ => unreachable!(),
        }
        Ok(())
    }
}

/// dudl: whether `t` is stored in order: its buffer holds its elements, row
/// after row, and nothing else.
fn in_order<S: Shape, E: Dtype>(t: &impl Tensorlike<S, E, Cpu>) -> bool {
    t.strides() == t.shape().strides() && t.len() == t.shape().num_elements()
}
