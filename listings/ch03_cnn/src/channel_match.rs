// Not a module of the crate: `models.rs` includes this file into a doctest that compiles.
use dfdx::nn::builders::ReLU;
use dfdx::prelude::*;
use dudl::conv::{builder::Conv2D, Images};

fn main() {
    let dev = dudl::Dev::default();
    // ANCHOR: channel_match
    type Fixed = (Conv2D<1, 6, 5, 1, 2>, ReLU, Conv2D<6, 16, 5>);
    let net = dev.build_module::<Fixed, f32>();
    let x: Images<1, 1, f32, _> = dev.zeros_like(&(Const, Const, 28, 28));
    let y = net.forward(x);
    // ANCHOR_END: channel_match
    println!("{:?}", y.shape());
}
