// Not a module of the crate: `mlp_dfdx.rs` includes this file into a `compile_fail` doctest.
use dfdx::prelude::*;

fn main() {
    let dev = Cpu::default();
    // ANCHOR: shape_mismatch
    let layer = dev.build_module::<Linear<2, 16>, f32>();
    let x: Tensor<Rank2<4, 3>, f32, _> = dev.zeros(); // 4 points of 3 features
    let z = layer.forward(x); // Linear<2, 16> takes 2 features per point
                              // ANCHOR_END: shape_mismatch
    println!("{:?}", z.shape());
}
