//! Gradient-norm clipping (Pascanu, Mikolov & Bengio, 2013), which dfdx does
//! not have: if `‖g‖ > τ`, rescale every gradient by `τ / ‖g‖`. It edits the
//! gradient buffers in place, so it runs on the CPU (where this chapter runs).

use crate::Dev;
use anyhow::{anyhow, Result};
use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorVisitor, ViewTensorRef,
};
use dfdx::prelude::*;

/// Calls `f` on the gradient of every trainable tensor of a model, in place.
struct EachGradient<'a, F: FnMut(&mut [f32])> {
    grads: &'a mut Gradients<f32, Dev>,
    f: F,
}

impl<F: FnMut(&mut [f32])> TensorVisitor<f32, Dev> for EachGradient<'_, F> {
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
            (self.f)(self.grads.get_or_alloc_mut(t)?);
        }
        Ok(None)
    }
}

/// Applies `f` to the gradient of every trainable tensor of `model`.
fn each_gradient<M: TensorCollection<f32, Dev>>(
    model: &M,
    grads: &mut Gradients<f32, Dev>,
    f: impl FnMut(&mut [f32]),
) -> Result<()> {
    let mut op = EachGradient { grads, f };
    M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut op,
    })
    .map_err(|err| anyhow!("visiting the gradients: {err:?}"))?;
    Ok(())
}

// ANCHOR: clip
/// The norm `‖g‖` of all of `model`'s gradients taken together, as one long
/// vector. (`&mut` only because dfdx lends gradient buffers mutably.)
pub fn gradient_norm<M: TensorCollection<f32, Dev>>(
    model: &M,
    grads: &mut Gradients<f32, Dev>,
) -> Result<f64> {
    let mut total = 0.0;
    each_gradient(model, grads, |g| {
        total += g.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
    })?;
    Ok(total.sqrt())
}

/// Clips the gradient to norm at most `max_norm`, keeping its direction:
/// `g ← g · min(1, τ / ‖g‖)` with `τ = max_norm`. Returns `‖g‖` before
/// clipping.
pub fn clip_gradient_norm<M: TensorCollection<f32, Dev>>(
    model: &M,
    grads: &mut Gradients<f32, Dev>,
    max_norm: f64,
) -> Result<f64> {
    let norm = gradient_norm(model, grads)?;
    if norm > max_norm {
        let factor = (max_norm / norm) as f32;
        each_gradient(model, grads, |g| {
            g.iter_mut().for_each(|v| *v *= factor)
        })?;
    }
    Ok(norm)
}
// ANCHOR_END: clip
