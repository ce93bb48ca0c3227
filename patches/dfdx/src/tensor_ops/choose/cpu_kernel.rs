use crate::{
    shapes::{Dtype, Shape},
    tensor::{cpu::rows, Cpu, Storage, Tensor, ZerosTensor},
};

impl<E: Dtype> super::ChooseKernel<E> for Cpu {
    fn forward<S: Shape>(
        &self,
        cond: &Tensor<S, bool, Self>,
        lhs: &Tensor<S, E, Self>,
        rhs: &Tensor<S, E, Self>,
    ) -> Result<Tensor<S, E, Self>, Self::Err> {
        let mut out = self.try_zeros_like(&lhs.shape)?;
        // dudl: row by row instead of an index per element.
        let (mut cond_rows, len, cond_step) = rows(cond.shape, cond.strides);
        let (mut lhs_rows, _, lhs_step) = rows(lhs.shape, lhs.strides);
        let (mut rhs_rows, _, rhs_step) = rows(rhs.shape, rhs.strides);
        if len == 0 {
            return Ok(out);
        }
        let out_buf = std::sync::Arc::make_mut(&mut out.data);
        for out_row in out_buf.chunks_exact_mut(len) {
            let c0 = cond_rows.next().unwrap();
            let l0 = lhs_rows.next().unwrap();
            let r0 = rhs_rows.next().unwrap();
            if cond_step == 1 && lhs_step == 1 && rhs_step == 1 {
                let c = &cond.data[c0..c0 + len];
                let l = &lhs.data[l0..l0 + len];
                let r = &rhs.data[r0..r0 + len];
                for (((o, &c), &l), &r) in out_row.iter_mut().zip(c).zip(l).zip(r) {
                    *o = if c { l } else { r };
                }
                continue;
            }
            for (j, o) in out_row.iter_mut().enumerate() {
                *o = if cond.data[c0 + j * cond_step] {
                    lhs.data[l0 + j * lhs_step]
                } else {
                    rhs.data[r0 + j * rhs_step]
                };
            }
        }
        Ok(out)
    }

    fn backward<S: Shape>(
        &self,
        cond: &Tensor<S, bool, Self>,
        lhs: &Tensor<S, E, Self>,
        grad_lhs: &mut <Self as Storage<E>>::Vec,
        rhs: &Tensor<S, E, Self>,
        grad_rhs: &mut <Self as Storage<E>>::Vec,
        grad_out: &<Self as Storage<E>>::Vec,
    ) -> Result<(), Self::Err> {
        let (mut cond_rows, len, cond_step) = rows(cond.shape, cond.strides);
        let (mut lhs_rows, _, lhs_step) = rows(lhs.shape, lhs.strides);
        let (mut rhs_rows, _, rhs_step) = rows(rhs.shape, rhs.strides);
        if len == 0 {
            return Ok(());
        }
        for go_row in grad_out.chunks_exact(len) {
            let c0 = cond_rows.next().unwrap();
            let l0 = lhs_rows.next().unwrap();
            let r0 = rhs_rows.next().unwrap();
            if cond_step == 1 && lhs_step == 1 && rhs_step == 1 {
                let c = &cond.data[c0..c0 + len];
                let gl = &mut grad_lhs[l0..l0 + len];
                let gr = &mut grad_rhs[r0..r0 + len];
                for (((&c, gl), gr), &go) in c.iter().zip(gl).zip(gr).zip(go_row) {
                    if c {
                        *gl += go;
                    } else {
                        *gr += go;
                    }
                }
                continue;
            }
            for (j, &go) in go_row.iter().enumerate() {
                if cond.data[c0 + j * cond_step] {
                    grad_lhs[l0 + j * lhs_step] += go;
                } else {
                    grad_rhs[r0 + j * rhs_step] += go;
                }
            }
        }
        Ok(())
    }
}
