//! The same network in dfdx: the layer sizes and the batch size are part of the types, so
//! the compiler checks every shape.
//!
//! A batch of 3-feature points fed to a layer that takes 2 features does not compile
//! (`cargo test --doc -p ch01_fundamentals` checks that it fails, with error E0277):
#![doc = concat!("```compile_fail,E0277\n", include_str!("shape_mismatch.rs"), "```")]
//! The same lines with 2 features per point compile:
#![doc = concat!("```\n", include_str!("shape_match.rs"), "```")]

use crate::mlp_scratch::Mlp;
use crate::training::{Budget, BATCH};
use anyhow::{anyhow, ensure, Result};
use dfdx::optim::{Optimizer, Sgd, SgdConfig};
use dfdx::prelude::*;
use dudl::data::Points2d;
use dudl::progress::Progress;
use dudl::Dev;

// ANCHOR: model
/// 2 inputs → 16 tanh → 16 tanh → 1 logit, the scratch network's shape.
pub type MoonsArch = (Linear<2, 16>, Tanh, Linear<16, 16>, Tanh, Linear<16, 1>);
/// The model with its parameters on the device.
pub type MoonsNet = <MoonsArch as BuildOnDevice<Dev, f32>>::Built;
/// A minibatch of points, one per row: X ∈ ℝ^(B×2).
pub type Inputs = Tensor<Rank2<BATCH, 2>, f32, Dev>;
/// One target per point: y ∈ {0, 1}^(B×1).
pub type Targets = Tensor<Rank2<BATCH, 1>, f32, Dev>;
// ANCHOR_END: model

/// The points and labels of `batch` (indices into `data`) as tensors.
pub fn batch_tensors(
    dev: &Dev,
    data: &Points2d,
    batch: &[usize],
) -> Result<(Inputs, Targets)> {
    ensure!(
        batch.len() == BATCH,
        "a dfdx minibatch holds {BATCH} points, got {}",
        batch.len()
    );
    let points = batch.iter().flat_map(|&i| data.points[i]).collect();
    let labels = batch.iter().map(|&i| data.labels[i] as f32).collect();
    Ok((
        dev.tensor_from_vec(points, (Const, Const)),
        dev.tensor_from_vec(labels, (Const, Const)),
    ))
}

// ANCHOR: train
/// Minibatch gradient descent with dfdx's `Sgd`, over the same batches as
/// the scratch version; returns the loss of every step.
pub fn train(
    model: &mut MoonsNet,
    data: &Points2d,
    batches: &[Vec<usize>],
    budget: Budget,
) -> Result<Vec<f64>> {
    let dev = model.0.weight.device().clone();
    let mut grads = model.alloc_grads();
    let config = SgdConfig {
        lr: budget.lr,
        momentum: None,
        weight_decay: None,
    };
    let mut sgd = Sgd::new(model, config);
    let mut progress = Progress::new("dfdx MLP (Tanh)", batches.len());
    let mut losses = Vec::with_capacity(batches.len());
    for (step, batch) in batches.iter().enumerate() {
        let (x, y) = batch_tensors(&dev, data, batch)?;
        let logits = model.forward_mut(x.traced(grads));
        let loss = mse_loss(logits.sigmoid(), y); // (1/B) Σ (σ(z) − y)²
        losses.push(loss.array() as f64);
        grads = loss.backward();
        sgd.update(model, &grads)
            .map_err(|err| anyhow!("SGD step {step}: {err}"))?;
        model.zero_grads(&mut grads);
        progress.update(step + 1, format!("loss {:.4}", losses[step]));
    }
    progress.finish(format!(
        "loss {:.4}",
        losses.last().copied().unwrap_or(f64::NAN)
    ));
    Ok(losses)
}
// ANCHOR_END: train

/// The probability σ(z) that `x` is of class 1.
pub fn predict(model: &MoonsNet, x: [f32; 2]) -> f64 {
    let dev = model.0.weight.device();
    let logit = model.forward(dev.tensor(x));
    1.0 / (1.0 + (-logit.array()[0] as f64).exp())
}

/// Builds the dfdx network with the parameters θ of a scratch [`Mlp`] of
/// sizes `[2, 16, 16, 1]`, so that the two can be compared number for number.
pub fn from_scratch(dev: &Dev, mlp: &Mlp) -> Result<MoonsNet> {
    ensure!(
        mlp.sizes == [2, 16, 16, 1],
        "the dfdx network is 2-16-16-1, not {:?}",
        mlp.sizes
    );
    let mut model = dev.build_module::<MoonsArch, f32>();
    let layer = |l| {
        let (w, b) = mlp.layer(&mlp.theta, l);
        let to_f32 =
            |v: &[f64]| v.iter().map(|&p| p as f32).collect::<Vec<f32>>();
        (to_f32(w), to_f32(b))
    };
    let (w, b) = layer(0);
    model.0.weight.copy_from(&w);
    model.0.bias.copy_from(&b);
    let (w, b) = layer(1);
    model.2.weight.copy_from(&w);
    model.2.bias.copy_from(&b);
    let (w, b) = layer(2);
    model.4.weight.copy_from(&w);
    model.4.bias.copy_from(&b);
    Ok(model)
}

/// The loss of `batch` and its gradient from dfdx, flattened in the scratch order of
/// θ (W^(1), b^(1), W^(2), …).
pub fn loss_and_grad(
    model: &MoonsNet,
    data: &Points2d,
    batch: &[usize],
) -> Result<(f64, Vec<f64>)> {
    let dev = model.0.weight.device().clone();
    let (x, y) = batch_tensors(&dev, data, batch)?;
    let logits = model.forward(x.leaky_trace());
    let loss = mse_loss(logits.sigmoid(), y);
    let value = loss.array() as f64;
    let grads = loss.backward();
    let flat = [
        grads.get(&model.0.weight).as_vec(),
        grads.get(&model.0.bias).as_vec(),
        grads.get(&model.2.weight).as_vec(),
        grads.get(&model.2.bias).as_vec(),
        grads.get(&model.4.weight).as_vec(),
        grads.get(&model.4.bias).as_vec(),
    ];
    Ok((value, flat.concat().into_iter().map(f64::from).collect()))
}
