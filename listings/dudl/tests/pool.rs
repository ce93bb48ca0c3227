//! Claims about `dudl::pool`: max and average pooling match their definitions, their
//! gradients match finite differences, max pooling's tie rule, the global average, the
//! flatten's width check, and the upsample-then-convolve decoder path.

use dfdx::prelude::*;
use dudl::conv::{builder, composite, Window2D};
use dudl::gradcheck::{max_abs_difference, numerical_gradient};
use dudl::pool::{AvgPool2D, FlattenTo, GlobalAvgPool2D, MaxPool2D, PoolKind, Upsample2D};

/// Step of the central differences `(L(v + h) − L(v − h)) / 2h` the gradients are checked against.
const FD_STEP: f64 = 1e-6;

type Images<const B: usize, const C: usize, T = NoneTape> =
    Tensor<(Const<B>, Const<C>, usize, usize), f64, Cpu, T>;

/// Max or mean of every `k × k` window, windows `s` apart, straight from the definition.
fn naive_pool(x: &[f64], [planes, h, w]: [usize; 3], k: usize, s: usize, max: bool) -> Vec<f64> {
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1);
    let mut y = Vec::new();
    for plane in 0..planes {
        for row in 0..oh {
            for col in 0..ow {
                let window =
                    (0..k * k).map(|t| x[(plane * h + row * s + t / k) * w + col * s + t % k]);
                y.push(if max {
                    window.fold(f64::MIN, f64::max)
                } else {
                    window.sum::<f64>() / (k * k) as f64
                });
            }
        }
    }
    y
}

fn check_pool<const K: usize, const S: usize>(h: usize, w: usize) {
    let dev = Cpu::seed_from_u64((h * 100 + w) as u64);
    let x: Images<3, 2> = dev.sample_normal_like(&(Const, Const, h, w));
    let (max, avg) = (
        MaxPool2D::<K, S>.forward(x.clone()),
        AvgPool2D::<K, S>.forward(x.clone()),
    );
    let (oh, ow) = ((h - K) / S + 1, (w - K) / S + 1);
    assert_eq!(*max.shape(), (Const::<3>, Const::<2>, oh, ow));
    assert_eq!(
        max.as_vec(),
        naive_pool(&x.as_vec(), [6, h, w], K, S, true),
        "max K{K} S{S} {h}x{w}"
    );
    let err = max_abs_difference(
        &avg.as_vec(),
        &naive_pool(&x.as_vec(), [6, h, w], K, S, false),
    );
    assert!(err < 1e-12, "avg K{K} S{S} {h}x{w}: {err}");
}

#[test]
fn max_and_avg_pool_match_their_definitions_on_odd_sizes() {
    check_pool::<2, 2>(7, 9);
    check_pool::<2, 2>(8, 8);
    check_pool::<3, 1>(5, 6);
    check_pool::<3, 2>(9, 7);
    check_pool::<2, 1>(3, 2);
    check_pool::<1, 1>(4, 3);
}

fn check_gradient<M>(pool: M, h: usize, w: usize)
where
    M: Module<Images<2, 2, OwnedTape<f64, Cpu>>, Output = Images<2, 2, OwnedTape<f64, Cpu>>>
        + Module<Images<2, 2>, Output = Images<2, 2>>,
{
    let dev = Cpu::seed_from_u64(9);
    let x: Images<2, 2> = dev.sample_normal_like(&(Const, Const, h, w));
    let y = pool.forward(x.trace(Gradients::leaky()));
    let r: Images<2, 2> = dev.sample_normal_like(y.shape());
    let grads = (y * r.clone()).sum().backward();
    let shape = *x.shape();
    let loss = |v: &[f64]| {
        let y: Images<2, 2> = pool.forward(dev.tensor_from_vec(v.to_vec(), shape));
        (y * r.clone()).sum::<Rank0, _>().array()
    };
    let err = max_abs_difference(
        &grads.get(&x).as_vec(),
        &numerical_gradient(loss, &x.as_vec(), FD_STEP),
    );
    assert!(err < 1e-6, "{h}x{w}: max error {err}");
}

#[test]
fn pool_gradients_match_finite_differences() {
    check_gradient(MaxPool2D::<2, 2>, 6, 7);
    check_gradient(MaxPool2D::<3, 1>, 5, 5);
    check_gradient(AvgPool2D::<2, 2>, 7, 6);
    check_gradient(AvgPool2D::<3, 2>, 7, 8);
}

#[test]
fn max_pool_tie_sends_whole_gradient_to_first_maximum_in_row_major_order() {
    let dev = Cpu::default();
    let x: Images<1, 1> = dev.ones_like(&(Const, Const, 4, 4));
    let grads = MaxPool2D::<2, 2>
        .forward(x.trace(Gradients::leaky()))
        .sum()
        .backward();
    #[rustfmt::skip]
    let expected = vec![
        1.0, 0.0, 1.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
        1.0, 0.0, 1.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(grads.get(&x).as_vec(), expected);
    // Overlapping windows (3×3, stride 1) on a constant 4×4 plane: the four windows' first
    // pixels are (0,0), (0,1), (1,0), (1,1).
    let grads = MaxPool2D::<3, 1>
        .forward(x.trace(Gradients::leaky()))
        .sum()
        .backward();
    let g = grads.get(&x).as_vec();
    assert_eq!([g[0], g[1], g[4], g[5]], [1.0; 4]);
    assert_eq!(g.iter().sum::<f64>(), 4.0);
}

#[test]
fn composite_cuda_path_pools_like_the_cpu_kernel() {
    let dev = Cpu::seed_from_u64(4);
    let x: Images<2, 3> = dev.sample_normal_like(&(Const, Const, 7, 8));
    let win = Window2D::new(3, 2, 0, 7, 8).unwrap();
    for (kind, cpu) in [
        (PoolKind::Max, MaxPool2D::<3, 2>.forward(x.clone())),
        (PoolKind::Avg, AvgPool2D::<3, 2>.forward(x.clone())),
    ] {
        let composite = composite::pool2d(x.clone(), kind, win).unwrap();
        assert!(
            max_abs_difference(&cpu.as_vec(), &composite.as_vec()) < 1e-12,
            "{kind:?}"
        );
    }
}

#[test]
fn global_avg_pool_is_the_plane_mean_with_gradient_one_over_hw() {
    let dev = Cpu::seed_from_u64(2);
    let x: Images<2, 3> = dev.sample_normal_like(&(Const, Const, 5, 3));
    let y = GlobalAvgPool2D.forward(x.trace(Gradients::leaky()));
    let expected: Vec<f64> = x
        .as_vec()
        .chunks(15)
        .map(|p| p.iter().sum::<f64>() / 15.0)
        .collect();
    assert!(max_abs_difference(&y.as_vec(), &expected) < 1e-12);
    let grads = y.sum().backward();
    assert!(grads
        .get(&x)
        .as_vec()
        .iter()
        .all(|&g| (g - 1.0 / 15.0).abs() < 1e-15));
}

#[test]
fn flatten_into_the_wrong_width_is_a_shape_error_naming_both_widths() {
    let dev = Cpu::default();
    let x: Images<2, 3> = dev.zeros_like(&(Const, Const, 4, 4));
    let err = FlattenTo::<50>.checked_forward(x.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FlattenTo<50>: input (2, 3, 4, 4): flattens to width C·H·W = 48, but the next layer expects 50"
    );
    let y: Tensor<Rank2<2, 48>, f64, Cpu> = FlattenTo::<48>.forward(x);
    assert_eq!(y.as_vec().len(), 96);
}

#[test]
#[should_panic(expected = "flattens to width C·H·W = 48, but the next layer expects 50")]
fn flatten_module_forward_panics_with_the_same_message() {
    let dev = Cpu::default();
    let x: Images<2, 3> = dev.zeros_like(&(Const, Const, 4, 4));
    let _ = FlattenTo::<50>.forward(x);
}

#[test]
fn pool_on_input_smaller_than_kernel_is_a_shape_error() {
    let dev = Cpu::default();
    let x: Images<1, 2> = dev.zeros_like(&(Const, Const, 1, 6));
    let err = MaxPool2D::<2, 2>.checked_forward(x).unwrap_err();
    assert_eq!(err.to_string(), "MaxPool2D<kernel 2, stride 2>: input (1, 2, 1, 6): padded height 1 is smaller than the kernel 2");
}

#[test]
fn upsample_then_conv_decodes_to_twice_the_size() {
    let dev = Cpu::seed_from_u64(1);
    let x: Images<2, 4> = dev.sample_normal_like(&(Const, Const, 3, 5));
    let up = Upsample2D::<2>::default().forward(x.clone());
    assert_eq!(*up.shape(), (Const::<2>, Const::<4>, 6, 10));
    let (small, big) = (x.as_vec(), up.as_vec());
    assert_eq!(big[0..2], [small[0], small[0]]);
    assert_eq!(big[10], small[0], "row 1 repeats row 0");
    let decoder = dev.build_module::<(Upsample2D<2>, builder::Conv2D<4, 1, 3, 1, 1>), f64>();
    let y = decoder.forward(x.trace(Gradients::leaky()));
    assert_eq!(*y.shape(), (Const::<2>, Const::<1>, 6, 10));
    let grads = y.sum().backward();
    assert!(grads.get(&x).as_vec().iter().any(|&g| g != 0.0));
}
