//! Exercise solutions.

use crate::lora::LoraLinear;
use crate::Dev;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;

// ANCHOR: share
/// The trainable parameters of a rank-`r` adapter on a `d_in → d_out` weight,
/// the weight's own count, and the adapter's share of it: `r (d_in + d_out) /
/// (d_in d_out)`.
pub fn adapter_share(
    d_in: usize,
    d_out: usize,
    r: usize,
) -> (usize, usize, f64) {
    let adapter = r * (d_in + d_out);
    let weight = d_in * d_out;
    (adapter, weight, adapter as f64 / weight as f64)
}
// ANCHOR_END: share

// ANCHOR: both_zero
/// The gradients of `A` and `B` (as their largest absolute entries) after one
/// backward pass through a rank-2 adapter on a random 8 → 8 layer, when `A`
/// starts at zero as well as `B` (`both_zero`) or random as LoRA has it.
pub fn first_gradients(both_zero: bool, seed: u64) -> (f32, f32) {
    let dev = Dev::seed_from_u64(seed);
    let pretrained: Linear<8, 8, f32, Dev> = BuildModule::build(&dev);
    let mut layer = LoraLinear::<8, 8, 2>::adapt(pretrained, 2.0);
    if both_zero {
        layer.a = dev.zeros();
    }
    let x: Tensor<Rank2<16, 8>, f32, Dev> = dev.sample_normal();
    let target: Tensor<Rank2<16, 8>, f32, Dev> = dev.sample_normal();
    let y = layer.forward(x.traced(layer.alloc_grads()));
    let grads = (y - target).square().mean().backward();
    let largest = |g: Vec<f32>| g.iter().fold(0f32, |m, v| m.max(v.abs()));
    (
        largest(grads.get(&layer.a).as_vec()),
        largest(grads.get(&layer.b).as_vec()),
    )
}
// ANCHOR_END: both_zero
