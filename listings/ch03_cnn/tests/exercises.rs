//! The exercises' solutions, checked.

use ch03_cnn::exercises::{dense_vs_conv_weights, dilate, maxpool_gradient};
use ch03_cnn::scratch::{conv2d_loops, output_size, receptive_field, Batch, Filters, Geometry};
use dfdx::prelude::*;
use dudl::pool::MaxPool2D;
use rand::{rngs::StdRng, Rng, SeedableRng};

#[test]
fn lenet_conv2_and_gap_cnn_receptive_fields_are_14_and_24_pixels() {
    let g = |kernel, stride| Geometry {
        kernel,
        stride,
        padding: 0,
    };
    assert_eq!(receptive_field(&[g(5, 1), g(2, 2), g(5, 1)]), 14);
    // GAP CNN: 5×5, pool, 5×5, pool, 3×3 → 1 + 4 + 1 + 4·2 + 1·2 + 2·4 = 24.
    let gap = [g(5, 1), g(2, 2), g(5, 1), g(2, 2), g(3, 1)];
    assert_eq!(receptive_field(&gap), 24);
}

#[test]
fn a_dilated_kernel_reads_taps_d_apart_and_sizes_follow_the_wider_kernel() {
    let mut rng = StdRng::seed_from_u64(2);
    let (k, d, n) = (3, 2, 11);
    let x = Batch {
        data: (0..n * n).map(|_| rng.gen_range(-1.0..1.0)).collect(),
        shape: [1, 1, n, n],
    };
    let f = Filters {
        weight: (0..k * k).map(|_| rng.gen_range(-1.0..1.0)).collect(),
        bias: vec![0.0],
        channels: [1, 1],
    };
    let (wide, side) = dilate(&f, k, d);
    assert_eq!(side, 5);
    let g = Geometry {
        kernel: side,
        stride: 1,
        padding: 0,
    };
    let y = conv2d_loops(&x, &wide, g);
    let out = output_size(n, g).unwrap();
    assert_eq!(out, n - d * (k - 1));
    for p in 0..out {
        for q in 0..out {
            let direct: f32 = (0..k * k)
                .map(|t| f.weight[t] * x.data[(p + d * (t / k)) * n + q + d * (t % k)])
                .sum();
            assert!((y.data[p * out + q] - direct).abs() < 1e-5, "({p}, {q})");
        }
    }
}

#[test]
fn maxpool_gradient_is_one_at_each_window_maximum_as_autodiff_computes() {
    let dev = Cpu::seed_from_u64(4);
    let (h, w) = (6, 8);
    let x: Tensor<(Const<1>, Const<1>, usize, usize), f32, Cpu> =
        dev.sample_normal_like(&(Const, Const, h, w));
    let by_hand = maxpool_gradient(&x.as_vec(), h, w);
    let grads = MaxPool2D::<2>.forward(x.leaky_trace()).sum().backward();
    assert_eq!(grads.get(&x).as_vec(), by_hand);
    assert_eq!(by_hand.iter().sum::<f32>(), (h / 2 * w / 2) as f32);
}

#[test]
fn a_dense_layer_needs_24_thousand_times_the_weights_of_lenets_first_convolution() {
    let (dense, conv) = dense_vs_conv_weights();
    assert_eq!((dense, conv), (3_687_936, 150));
    assert_eq!(dense / conv, 24_586);
}
