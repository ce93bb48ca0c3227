//! Gradient-norm clipping (Pascanu, Mikolov & Bengio, 2013), which dfdx does
//! not have: if `‖g‖ > c`, rescale every gradient by `c / ‖g‖`. It edits the
//! gradient buffers in place, so it runs on the CPU (where this chapter runs).

use anyhow::{anyhow, Result};
use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorVisitor, ViewTensorRef,
};
use dfdx::prelude::*;
use dudl::Dev;

/// Sums the squares of the gradients of a model's trainable tensors.
struct SquaredNorm<'a> {
    grads: &'a Gradients<f32, Dev>,
    total: f64,
}

impl TensorVisitor<f32, Dev> for SquaredNorm<'_> {
    type Viewer = ViewTensorRef;
    type Err = <Dev as HasErr>::Err;
    type E2 = f32;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Dev>,
        t: &Tensor<S, f32, Dev>,
    ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
        if opts.do_gradient_update {
            let grad = self.grads.get(t).as_vec();
            self.total += grad.iter().map(|&g| (g as f64).powi(2)).sum::<f64>();
        }
        Ok(None)
    }
}

/// Multiplies the gradients of a model's trainable tensors by `factor`, in
/// place.
struct Rescale<'a> {
    grads: &'a mut Gradients<f32, Dev>,
    factor: f32,
}

impl TensorVisitor<f32, Dev> for Rescale<'_> {
    type Viewer = ViewTensorRef;
    type Err = <Dev as HasErr>::Err;
    type E2 = f32;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Dev>,
        t: &Tensor<S, f32, Dev>,
    ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
        if opts.do_gradient_update {
            for g in self.grads.get_or_alloc_mut(t)?.iter_mut() {
                *g *= self.factor;
            }
        }
        Ok(None)
    }
}

// ANCHOR: clip
/// The norm `‖g‖` of all of `model`'s gradients taken together, as one long
/// vector.
pub fn gradient_norm<M: TensorCollection<f32, Dev>>(
    model: &M,
    grads: &Gradients<f32, Dev>,
) -> Result<f64> {
    let mut op = SquaredNorm { grads, total: 0.0 };
    M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut op,
    })
    .map_err(|err| anyhow!("reading the gradients: {err:?}"))?;
    Ok(op.total.sqrt())
}

/// Clips the gradient to norm at most `max_norm`, keeping its direction:
/// `g ← g · min(1, c / ‖g‖)`. Returns `‖g‖` before clipping.
pub fn clip_gradient_norm<M: TensorCollection<f32, Dev>>(
    model: &M,
    grads: &mut Gradients<f32, Dev>,
    max_norm: f64,
) -> Result<f64> {
    let norm = gradient_norm(model, grads)?;
    if norm > max_norm {
        let factor = (max_norm / norm) as f32;
        let mut op = Rescale { grads, factor };
        M::iter_tensors(&mut RecursiveWalker {
            m: model,
            f: &mut op,
        })
        .map_err(|err| anyhow!("rescaling the gradients: {err:?}"))?;
    }
    Ok(norm)
}
// ANCHOR_END: clip
