//! Claims about convolution itself: the three implementations agree, the size and
//! receptive-field formulas match what the code does, the map is translation-equivariant,
//! and the parameter counts the text gives are exact.

use ch03_cnn::exercises::measured_receptive_field;
use ch03_cnn::models::{Deep, GapCnn, GapCnnBn, LeNet, Logistic, Mlp, ResidualBlock, HIDDEN};
use ch03_cnn::scratch::{
    conv2d_im2col, conv2d_loops, output_size, receptive_field, Batch, Filters, Geometry,
};
use ch03_cnn::train::shift;
use dfdx::prelude::*;
use dudl::conv::{builder, Conv2D, Window2D};
use dudl::data::mnist;
use dudl::gradcheck::max_abs_difference;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn geometry(kernel: usize, stride: usize, padding: usize) -> Geometry {
    Geometry {
        kernel,
        stride,
        padding,
    }
}

fn random(rng: &mut StdRng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The layer's own output for `x`, with `f`'s weights copied in.
fn dudl_conv<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize>(
    x: &Batch,
    f: &Filters,
) -> Vec<f32> {
    let dev = Cpu::default();
    let mut layer: Conv2D<I, O, K, S, P, f32, Cpu> =
        dev.build_module::<builder::Conv2D<I, O, K, S, P>, f32>();
    layer.weight = dev.tensor_from_vec(f.weight.clone(), (Const, Const, Const, Const));
    layer.bias = dev.tensor_from_vec(f.bias.clone(), (Const,));
    let [_, _, h, w] = x.shape;
    let input: Tensor<(Const<2>, Const<I>, usize, usize), f32, Cpu> =
        dev.tensor_from_vec(x.data.clone(), (Const, Const, h, w));
    layer.forward(input).as_vec()
}

fn check_agreement<
    const I: usize,
    const O: usize,
    const K: usize,
    const S: usize,
    const P: usize,
>(
    seed: u64,
    (h, w): (usize, usize),
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Batch {
        data: random(&mut rng, 2 * I * h * w),
        shape: [2, I, h, w],
    };
    let f = Filters {
        weight: random(&mut rng, O * I * K * K),
        bias: random(&mut rng, O),
        channels: [O, I],
    };
    let g = geometry(K, S, P);
    let loops = conv2d_loops(&x, &f, g);
    let im2col = conv2d_im2col(&x, &f, g);
    let library = dudl_conv::<I, O, K, S, P>(&x, &f);
    assert_eq!(loops.shape, im2col.shape);
    let (a, b, c) = (widen(&loops.data), widen(&im2col.data), widen(&library));
    assert!(
        max_abs_difference(&a, &b) < 1e-5,
        "loops vs im2col, K{K} S{S} P{P}"
    );
    assert!(
        max_abs_difference(&a, &c) < 1e-5,
        "loops vs dudl, K{K} S{S} P{P}"
    );
}

#[test]
fn seven_loops_im2col_and_the_library_conv2d_agree() {
    check_agreement::<1, 6, 5, 1, 2>(1, (28, 28));
    check_agreement::<3, 4, 3, 1, 1>(2, (9, 7));
    check_agreement::<2, 5, 3, 2, 0>(3, (11, 8));
    check_agreement::<4, 2, 1, 1, 0>(4, (5, 6));
    check_agreement::<2, 3, 5, 3, 2>(5, (13, 10));
}

#[test]
fn output_size_formula_matches_the_library_and_the_loops_over_a_grid() {
    let mut checked = 0;
    for n in 1..=16 {
        for kernel in 1..=6 {
            for stride in 1..=4 {
                for padding in 0..=3 {
                    let g = geometry(kernel, stride, padding);
                    let ours = output_size(n, g);
                    let library = Window2D::new(kernel, stride, padding, n, n).ok();
                    assert_eq!(ours, library.map(|win| win.h_out), "n {n} {g:?}");
                    if let Some(out) = ours {
                        let x = Batch {
                            data: vec![1.0; n * n],
                            shape: [1, 1, n, n],
                        };
                        let f = Filters {
                            weight: vec![1.0; kernel * kernel],
                            bias: vec![0.0],
                            channels: [1, 1],
                        };
                        assert_eq!(conv2d_loops(&x, &f, g).shape, [1, 1, out, out]);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked} settings");
}

#[test]
fn receptive_field_formula_matches_impulse_measurement_over_stacks() {
    let stacks: Vec<Vec<Geometry>> = vec![
        vec![geometry(3, 1, 0)],
        vec![geometry(3, 1, 0), geometry(3, 1, 0)],
        vec![geometry(5, 1, 0), geometry(2, 2, 0), geometry(5, 1, 0)],
        vec![geometry(3, 2, 0), geometry(3, 2, 0), geometry(3, 1, 0)],
        vec![
            geometry(5, 1, 0),
            geometry(2, 2, 0),
            geometry(5, 1, 0),
            geometry(2, 2, 0),
        ],
        vec![geometry(7, 3, 0), geometry(2, 2, 0), geometry(3, 1, 0)],
    ];
    for stack in &stacks {
        let formula = receptive_field(stack);
        assert_eq!(measured_receptive_field(stack, 48), formula, "{stack:?}");
    }
    // LeNet's second convolution: 1 + 4 + 1·1 + 4·2 = 14 pixels a side.
    assert_eq!(receptive_field(&stacks[2]), 14);
}

/// `image` convolved (one input channel) by the library layer.
fn conv_image(layer: &Conv2D<1, 4, 5, 1, 2, f32, Cpu>, image: &[f32; mnist::PIXELS]) -> Vec<f32> {
    let dev = Cpu::default();
    let x: Tensor<(Const<1>, Const<1>, usize, usize), f32, Cpu> =
        dev.tensor_from_vec(image.to_vec(), (Const, Const, 28, 28));
    layer.forward(x).as_vec()
}

#[test]
fn convolution_commutes_with_shifts_exactly_in_the_interior() {
    let data = mnist::load(&mnist::default_dir()).unwrap();
    let dev = Cpu::seed_from_u64(7);
    let layer: Conv2D<1, 4, 5, 1, 2, f32, Cpu> =
        dev.build_module::<builder::Conv2D<1, 4, 5, 1, 2>, f32>();
    let bias = layer.bias.as_vec();
    for (dx, dy) in [(3, 0), (0, -2), (4, 4), (-1, 3)] {
        let image = &data.test.images[5];
        let moved_then_conv = conv_image(&layer, &shift(image, dx, dy));
        let conv_then_moved: Vec<f32> = conv_image(&layer, image)
            .chunks(mnist::PIXELS)
            .enumerate()
            .flat_map(|(o, map)| {
                // Shift each output map; what enters from outside is the bias, the
                // output of an all-zero patch.
                let plane: [f32; mnist::PIXELS] = map.try_into().unwrap();
                shift(&plane.map(|v| v - bias[o]), dx, dy).map(|v| v + bias[o])
            })
            .collect();
        // Interior: output pixels whose 5×5 window lies inside the image both before
        // and after the shift, so no padding or lost border enters either side.
        let margin = 2 + dx.unsigned_abs().max(dy.unsigned_abs());
        let mut worst = 0.0f32;
        for o in 0..4 {
            for y in margin..28 - margin {
                for x in margin..28 - margin {
                    let i = o * mnist::PIXELS + y * 28 + x;
                    worst = worst.max((moved_then_conv[i] - conv_then_moved[i]).abs());
                }
            }
        }
        assert!(worst <= 1e-6, "shift ({dx}, {dy}): max difference {worst}");
    }
}

#[test]
fn the_loops_are_bitwise_equivariant_in_the_interior() {
    let mut rng = StdRng::seed_from_u64(9);
    let image: [f32; mnist::PIXELS] = std::array::from_fn(|_| rng.gen_range(0.0..1.0));
    let f = Filters {
        weight: random(&mut rng, 9),
        bias: vec![0.0],
        channels: [1, 1],
    };
    let g = geometry(3, 1, 1);
    let conv = |img: &[f32; mnist::PIXELS]| {
        let x = Batch {
            data: img.to_vec(),
            shape: [1, 1, 28, 28],
        };
        let y: [f32; mnist::PIXELS] = conv2d_loops(&x, &f, g).data.try_into().unwrap();
        y
    };
    let (a, b) = (conv(&shift(&image, 2, 1)), shift(&conv(&image), 2, 1));
    for y in 4..24 {
        for x in 4..24 {
            assert_eq!(
                a[y * 28 + x].to_bits(),
                b[y * 28 + x].to_bits(),
                "({y}, {x})"
            );
        }
    }
}

#[test]
fn parameter_counts_are_exact() {
    let dev = Cpu::default();
    let conv = |i: usize, o: usize, k: usize| o * i * k * k + o;
    let dense = |i: usize, o: usize| i * o + o;
    let lenet = conv(1, 6, 5) + conv(6, 16, 5) + dense(400, 120) + dense(120, 84) + dense(84, 10);
    assert_eq!(lenet, 61_706);
    assert_eq!(
        dev.build_module::<LeNet, f32>().num_trainable_params(),
        lenet
    );
    let mlp = dense(784, HIDDEN) + dense(HIDDEN, 10);
    assert_eq!(dev.build_module::<Mlp, f32>().num_trainable_params(), mlp);
    assert_eq!(
        dev.build_module::<Logistic, f32>().num_trainable_params(),
        dense(784, 10)
    );
    let gap = conv(1, 8, 5) + conv(8, 16, 5) + conv(16, 32, 3) + dense(32, 10);
    assert_eq!(
        dev.build_module::<GapCnn, f32>().num_trainable_params(),
        gap
    );
    // Batch norm adds a scale and a shift per channel (running statistics are not trained).
    let bn = 2 * (8 + 16 + 32);
    assert_eq!(
        dev.build_module::<GapCnnBn, f32>().num_trainable_params(),
        gap + bn
    );
    let deep = conv(1, 16, 5) + conv(16, 16, 3) + 8 * conv(16, 16, 3) + dense(16, 10);
    let built = dev.build_module::<Deep<ResidualBlock>, f32>();
    assert_eq!(built.num_trainable_params(), deep);
}
