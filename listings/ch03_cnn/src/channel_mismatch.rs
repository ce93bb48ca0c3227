// Not a module of the crate: `models.rs` includes this file into a `compile_fail` doctest.
use dfdx::nn::builders::ReLU;
use dfdx::prelude::*;
use dudl::conv::{builder::Conv2D, Images};

fn main() {
    let dev = dudl::Dev::default();
    // ANCHOR: channel_mismatch
    type Broken = (Conv2D<1, 8, 5, 1, 2>, ReLU, Conv2D<6, 16, 5>);
    let net = dev.build_module::<Broken, f32>();
    let x: Images<1, 1, f32, _> = dev.zeros_like(&(Const, Const, 28, 28));
    let y = net.forward(x); // 8 channels out, 6 expected: E0277
    // ANCHOR_END: channel_mismatch
    println!("{:?}", y.shape());
}
