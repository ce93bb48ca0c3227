//! Initialization: how the variance of the activations changes from layer to layer of a
//! ReLU network, for dfdx's default, Xavier (Glorot & Bengio) and He initialization.

use crate::task::{Inputs, CLASSES};
use crate::Dev;
use dfdx::nn::modules;
use dfdx::prelude::*;
use dudl::data::digits::PIXELS;
use rand_distr::Normal;

/// How a layer's weights are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// dfdx's `Linear`: `W` and `b` both uniform on `±1/√n_in`, variance `1/(3 n_in)`.
    Default,
    /// Glorot & Bengio: `W ~ N(0, 2/(n_in + n_out))`, `b = 0`.
    Xavier,
    /// He et al.: `W ~ N(0, 2/n_in)`, `b = 0`.
    He,
}

impl Init {
    /// All three, in the order the figures show them.
    pub const ALL: [Init; 3] = [Init::He, Init::Xavier, Init::Default];

    /// The name in figures and tables.
    pub fn name(self) -> &'static str {
        match self {
            Init::Default => "dfdx default U(±1/√n)",
            Init::Xavier => "Xavier N(0, 2/(n_in+n_out))",
            Init::He => "He N(0, 2/n_in)",
        }
    }

    /// What the theory says one ReLU layer of equal widths does to the
    /// variance of the pre-activations: `n Var(w) / 2`.
    pub fn variance_gain(self) -> f64 {
        match self {
            Init::Default => 1.0 / 6.0,
            Init::Xavier => 0.5,
            Init::He => 1.0,
        }
    }
}

// ANCHOR: init
/// Re-initializes `layer` by `init` (`Default` keeps dfdx's draw).
pub fn initialize<const I: usize, const O: usize>(
    layer: &mut modules::Linear<I, O, f32, Dev>,
    init: Init,
) {
    let variance = match init {
        Init::Default => return,
        Init::Xavier => 2.0 / (I + O) as f32,
        Init::He => 2.0 / I as f32,
    };
    let normal =
        Normal::new(0.0, variance.sqrt()).expect("a positive variance");
    layer.weight.fill_with_distr(normal);
    layer.bias.fill_with_zeros();
}
// ANCHOR_END: init

// ANCHOR: gains
/// Sends a batch of `B` standard-normal vectors through `layers` fresh ReLU
/// layers of width `W` (biases zero) and returns each layer's gain
/// `E[z_l²] / E[z_{l−1}²]`, from layer 2 on.
pub fn variance_gains<const W: usize, const B: usize>(
    init: Init,
    layers: usize,
    seed: u64,
) -> Vec<f64> {
    let dev = Dev::seed_from_u64(seed);
    let mut a: Tensor<Rank2<B, W>, f32, Dev> = dev.sample_normal();
    let mut second_moments = Vec::with_capacity(layers);
    for _ in 0..layers {
        let mut layer = dev.build_module::<Linear<W, W>, f32>();
        initialize(&mut layer, init);
        layer.bias.fill_with_zeros();
        let z = layer.forward(a);
        let q: f32 = z.clone().square().mean::<Rank0, _>().array();
        second_moments.push(q as f64);
        a = z.relu();
    }
    second_moments.windows(2).map(|q| q[1] / q[0]).collect()
}
// ANCHOR_END: gains

/// The geometric mean of `gains`: the typical factor per layer.
pub fn geometric_mean(gains: &[f64]) -> f64 {
    (gains.iter().map(|g| g.ln()).sum::<f64>() / gains.len() as f64).exp()
}

/// Width of the deep network's hidden layers.
pub const DEEP_WIDTH: usize = 64;
/// Hidden-to-hidden layers between its first and last layer.
pub const DEEP_HIDDEN: usize = 28;

// ANCHOR: deep
/// A 30-layer ReLU MLP: 64 → 64, then 28 layers 64 → 64, then 64 → 10.
pub type DeepArch = (
    (Linear<PIXELS, DEEP_WIDTH>, ReLU),
    Repeated<(Linear<DEEP_WIDTH, DEEP_WIDTH>, ReLU), DEEP_HIDDEN>,
    Linear<DEEP_WIDTH, CLASSES>,
);
pub type Deep = <DeepArch as BuildOnDevice<Dev, f32>>::Built;
// ANCHOR_END: deep

/// The 30-layer network, built on a device seeded with `seed`, initialized by `init`.
pub fn deep(init: Init, seed: u64) -> Deep {
    let dev = Dev::seed_from_u64(seed);
    let mut model = dev.build_module::<DeepArch, f32>();
    initialize(&mut model.0 .0, init);
    for layer in &mut model.1.modules {
        initialize(&mut layer.0, init);
    }
    initialize(&mut model.2, init);
    model
}

/// The standard deviation of the pre-activations `z_l` of every layer of `model` on `x`.
pub fn layer_stds(model: &Deep, x: Inputs) -> Vec<f64> {
    let std = |z: &Tensor<(usize, Const<DEEP_WIDTH>), f32, Dev>| {
        let v = z.as_vec();
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        (v.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / v.len() as f32)
            .sqrt() as f64
    };
    let mut z = model.0 .0.forward(x);
    let mut stds = vec![std(&z)];
    for layer in &model.1.modules {
        z = layer.0.forward(z.relu());
        stds.push(std(&z));
    }
    let logits = model.2.forward(z.relu()).as_vec();
    let mean = logits.iter().sum::<f32>() / logits.len() as f32;
    let var = logits.iter().map(|a| (a - mean).powi(2)).sum::<f32>()
        / logits.len() as f32;
    stds.push(var.sqrt() as f64);
    stds
}
