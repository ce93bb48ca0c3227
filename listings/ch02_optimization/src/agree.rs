//! The from-scratch optimizers against dfdx's, step for step on the same network.

use crate::optimizers::{self, Optimizer};
use crate::task::{self, Method, Mlp, MlpArch, Run, Set};
use crate::Dev;
use anyhow::Result;
use dfdx::optim::{
    AdamConfig, Momentum, RMSpropConfig, SgdConfig, WeightDecay,
};
use dfdx::prelude::*;

/// Seed of the network both optimizers start from.
pub const MODEL_SEED: u64 = 21;

// ANCHOR: agree
/// Trains two copies of one MLP for `steps` minibatches, one with dfdx's
/// `method`, the other with our `scratch` optimizer on its flat θ, each on
/// gradients of its own parameters; returns `max_i |θ_dfdx,i − θ_scratch,i|`.
pub fn max_difference(
    method: Method,
    scratch: &mut dyn Optimizer,
    data: &Set,
    steps: usize,
) -> Result<f64> {
    let dev = Dev::seed_from_u64(MODEL_SEED);
    let mut model: Mlp = dev.build_module::<MlpArch, f32>();
    let mut copy = model.clone();
    let mut theta = task::parameters(&copy);
    let mut opt = method.build(&model);
    let run = Run {
        steps,
        batch: 32,
        eval_every: 0,
        seed: MODEL_SEED,
    };
    for batch in task::minibatches(data.len(), &run) {
        let (x, y) = data.batch(&dev, &batch);
        let (_, grads) = task::loss_and_grads(&mut model, x.clone(), y.clone());
        opt.update(&mut model, &grads)?;
        task::set_parameters(&mut copy, &theta);
        let (_, grads) = task::loss_and_grads(&mut copy, x, y);
        scratch.step(&mut theta, &task::gradient(&copy, &grads));
    }
    let dfdx_theta = task::parameters(&model);
    Ok(dfdx_theta
        .iter()
        .zip(&theta)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max) as f64)
}
// ANCHOR_END: agree

/// One comparison: a name, dfdx's optimizer and ours with the same hyperparameters.
pub struct Pair {
    pub name: &'static str,
    pub dfdx: Method,
    pub scratch: Box<dyn Optimizer>,
}

/// Every optimizer of the chapter, in dfdx's and in our version.
pub fn pairs() -> Vec<Pair> {
    use optimizers::WeightDecay as Ours;
    let sgd = |momentum, wd| SgdConfig {
        lr: 0.05,
        momentum,
        weight_decay: wd,
    };
    let pair = |name, dfdx, scratch: Box<dyn Optimizer>| Pair {
        name,
        dfdx,
        scratch,
    };
    vec![
        pair(
            "SGD",
            Method::Sgd(sgd(None, None)),
            Box::new(optimizers::Sgd::new(0.05, 0.0, false, Ours::None)),
        ),
        pair(
            "SGD + momentum 0.9",
            Method::Sgd(sgd(Some(Momentum::Classic(0.9)), None)),
            Box::new(optimizers::Sgd::new(0.05, 0.9, false, Ours::None)),
        ),
        pair(
            "SGD + Nesterov 0.9, L2 1e-2",
            Method::Sgd(sgd(
                Some(Momentum::Nesterov(0.9)),
                Some(WeightDecay::L2(1e-2)),
            )),
            Box::new(optimizers::Sgd::new(0.05, 0.9, true, Ours::L2(1e-2))),
        ),
        pair(
            "SGD + momentum 0.9, decoupled 1e-2",
            Method::Sgd(sgd(
                Some(Momentum::Classic(0.9)),
                Some(WeightDecay::Decoupled(1e-2)),
            )),
            Box::new(optimizers::Sgd::new(
                0.05,
                0.9,
                false,
                Ours::Decoupled(1e-2),
            )),
        ),
        pair(
            "RMSprop",
            Method::RmsProp(RMSpropConfig {
                lr: 1e-3,
                ..Default::default()
            }),
            Box::new(optimizers::RmsProp::new(1e-3, Ours::None)),
        ),
        pair(
            "Adam",
            Method::Adam(AdamConfig {
                lr: 1e-3,
                ..Default::default()
            }),
            Box::new(optimizers::Adam::new(1e-3, Ours::None)),
        ),
        pair(
            "Adam + L2 1e-2",
            Method::Adam(AdamConfig {
                lr: 1e-3,
                weight_decay: Some(WeightDecay::L2(1e-2)),
                ..Default::default()
            }),
            Box::new(optimizers::Adam::new(1e-3, Ours::L2(1e-2))),
        ),
        pair(
            "AdamW (decoupled 1e-2)",
            Method::Adam(AdamConfig {
                lr: 1e-3,
                weight_decay: Some(WeightDecay::Decoupled(1e-2)),
                ..Default::default()
            }),
            Box::new(optimizers::Adam::new(1e-3, Ours::Decoupled(1e-2))),
        ),
    ]
}
