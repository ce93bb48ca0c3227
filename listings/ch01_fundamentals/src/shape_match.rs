// Not a module of the crate: `mlp_dfdx.rs` includes this file into a doctest that must compile.
use dfdx::prelude::*;

fn main() {
    let dev = Cpu::default();
    // ANCHOR: shape_match
    let layer = dev.build_module::<Linear<2, 16>, f32>();
    let x: Tensor<Rank2<4, 2>, f32, _> = dev.zeros(); // 4 points of 2 features
    let z: Tensor<Rank2<4, 16>, f32, _> = layer.forward(x); // 16 per point
                                                            // ANCHOR_END: shape_match
    println!("{:?}", z.shape());
}
