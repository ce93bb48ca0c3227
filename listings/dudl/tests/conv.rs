//! Claims about `dudl::conv`: the CPU convolution matches a naive seven-loop definition, its
//! gradients match finite differences, the CUDA-path composite agrees with it, a tiny CNN
//! learns, and bad shapes give errors that name them.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::builders::{Linear, ReLU};
use dfdx::optim::{Adam, AdamConfig, Optimizer};
use dfdx::prelude::*;
use dudl::conv::{builder, composite, Conv2D, Window2D};
use dudl::gradcheck::{max_abs_difference, numerical_gradient};
use dudl::pool::{FlattenTo, MaxPool2D};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Step of the central differences `(L(v + h) − L(v − h)) / 2h` the gradients are checked against.
const FD_STEP: f64 = 1e-6;

type Images<const B: usize, const C: usize, T = NoneTape> =
    Tensor<(Const<B>, Const<C>, usize, usize), f64, Cpu, T>;
type Layer<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize> =
    Conv2D<I, O, K, S, P, f64, Cpu>;

/// `y[n][o][p][q] = b[o] + Σ_{c,i,j} w[o][c][i][j] · x[n][c][p·S + i − P][q·S + j − P]`, by
/// seven nested loops, straight from the definition.
fn naive_conv(
    x: &[f64],
    [batch, chans, h, w]: [usize; 4],
    weight: &[f64],
    bias: &[f64],
    [k, s, p]: [usize; 3],
) -> Vec<f64> {
    let outs = bias.len();
    let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
    let mut y = vec![0.0; batch * outs * oh * ow];
    for n in 0..batch {
        for o in 0..outs {
            for row in 0..oh {
                for col in 0..ow {
                    let mut sum = bias[o];
                    for c in 0..chans {
                        for i in 0..k {
                            for j in 0..k {
                                let (yy, xx) = (
                                    (row * s + i) as isize - p as isize,
                                    (col * s + j) as isize - p as isize,
                                );
                                if yy < 0 || xx < 0 || yy >= h as isize || xx >= w as isize {
                                    continue;
                                }
                                let xi = ((n * chans + c) * h + yy as usize) * w + xx as usize;
                                sum += weight[((o * chans + c) * k + i) * k + j] * x[xi];
                            }
                        }
                    }
                    y[((n * outs + o) * oh + row) * ow + col] = sum;
                }
            }
        }
    }
    y
}

/// A random `(h, w)` the kernel fits, odd sizes included.
fn random_size(rng: &mut StdRng, k: usize, p: usize) -> (usize, usize) {
    let min = (k.saturating_sub(2 * p)).max(1);
    (rng.gen_range(min..min + 9), rng.gen_range(min..min + 9))
}

fn check_forward<
    const B: usize,
    const I: usize,
    const O: usize,
    const K: usize,
    const S: usize,
    const P: usize,
>(
    seed: u64,
) {
    let dev = Cpu::seed_from_u64(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let conv: Layer<I, O, K, S, P> = dev.build_module::<builder::Conv2D<I, O, K, S, P>, f64>();
    for _ in 0..3 {
        let (h, w) = random_size(&mut rng, K, P);
        let x: Images<B, I> = dev.sample_normal_like(&(Const, Const, h, w));
        let y = conv.forward(x.clone());
        let (oh, ow) = Layer::<I, O, K, S, P>::output_hw(h, w).unwrap();
        assert_eq!(
            *y.shape(),
            (Const::<B>, Const::<O>, oh, ow),
            "input {h}x{w}"
        );
        let expected = naive_conv(
            &x.as_vec(),
            [B, I, h, w],
            &conv.weight.as_vec(),
            &conv.bias.as_vec(),
            [K, S, P],
        );
        let err = max_abs_difference(&y.as_vec(), &expected);
        assert!(
            err < 1e-10,
            "B{B} I{I} O{O} K{K} S{S} P{P} on {h}x{w}: max error {err}"
        );
    }
}

#[test]
fn forward_matches_seven_loop_definition_over_random_shapes() {
    check_forward::<1, 1, 1, 1, 1, 0>(1);
    check_forward::<3, 2, 4, 1, 2, 0>(2);
    check_forward::<2, 3, 4, 3, 1, 1>(3);
    check_forward::<3, 2, 5, 3, 2, 0>(4);
    check_forward::<1, 3, 2, 5, 1, 2>(5);
    check_forward::<2, 2, 3, 5, 2, 2>(6);
    check_forward::<4, 1, 2, 3, 2, 1>(7);
    check_forward::<2, 3, 3, 3, 1, 0>(8);
    check_forward::<1, 2, 2, 5, 1, 0>(9);
    check_forward::<2, 1, 3, 3, 1, 2>(10);
}

#[test]
fn output_size_is_h_plus_two_p_minus_k_over_s_plus_one() {
    assert_eq!(Layer::<1, 1, 3, 1, 1>::output_hw(28, 28).unwrap(), (28, 28));
    assert_eq!(Layer::<1, 1, 3, 2, 0>::output_hw(7, 8).unwrap(), (3, 3));
    assert_eq!(Layer::<1, 1, 5, 2, 2>::output_hw(9, 10).unwrap(), (5, 5));
    assert_eq!(Layer::<1, 1, 1, 1, 0>::output_hw(1, 1).unwrap(), (1, 1));
}

/// `L = Σ y ⊙ r`: a loss whose gradient `dL/dy = r` is different at every output.
fn weighted_sum<const B: usize, const O: usize, T: Tape<f64, Cpu>>(
    y: Images<B, O, T>,
    r: &Images<B, O>,
) -> Tensor<Rank0, f64, Cpu, T> {
    (y * r.clone()).sum()
}

fn check_gradients<
    const B: usize,
    const I: usize,
    const O: usize,
    const K: usize,
    const S: usize,
    const P: usize,
>(
    h: usize,
    w: usize,
) {
    let dev = Cpu::seed_from_u64(11);
    let conv: Layer<I, O, K, S, P> = dev.build_module::<builder::Conv2D<I, O, K, S, P>, f64>();
    let x: Images<B, I> = dev.sample_normal_like(&(Const, Const, h, w));
    let (oh, ow) = Layer::<I, O, K, S, P>::output_hw(h, w).unwrap();
    let r: Images<B, O> = dev.sample_normal_like(&(Const, Const, oh, ow));
    let grads = weighted_sum(conv.forward(x.trace(Gradients::leaky())), &r).backward();

    let x_shape = *x.shape();
    let loss_at_x = |v: &[f64]| {
        weighted_sum(conv.forward(dev.tensor_from_vec(v.to_vec(), x_shape)), &r).array()
    };
    let loss_at_w = |v: &[f64]| {
        let mut moved = conv.clone();
        moved.weight = dev.tensor_from_vec(v.to_vec(), *conv.weight.shape());
        weighted_sum(moved.forward(x.clone()), &r).array()
    };
    let loss_at_b = |v: &[f64]| {
        let mut moved = conv.clone();
        moved.bias = dev.tensor_from_vec(v.to_vec(), *conv.bias.shape());
        weighted_sum(moved.forward(x.clone()), &r).array()
    };
    let cases = [
        (
            "input",
            grads.get(&x).as_vec(),
            numerical_gradient(loss_at_x, &x.as_vec(), FD_STEP),
        ),
        (
            "weight",
            grads.get(&conv.weight).as_vec(),
            numerical_gradient(loss_at_w, &conv.weight.as_vec(), FD_STEP),
        ),
        (
            "bias",
            grads.get(&conv.bias).as_vec(),
            numerical_gradient(loss_at_b, &conv.bias.as_vec(), FD_STEP),
        ),
    ];
    for (name, analytic, numeric) in cases {
        let err = max_abs_difference(&analytic, &numeric);
        assert!(
            err < 1e-6,
            "{name} gradient, K{K} S{S} P{P} on {h}x{w}: max error {err}"
        );
    }
}

#[test]
fn input_weight_and_bias_gradients_match_finite_differences() {
    check_gradients::<2, 2, 3, 3, 1, 1>(5, 6);
    check_gradients::<2, 2, 2, 3, 2, 1>(7, 6);
    check_gradients::<1, 3, 2, 5, 2, 2>(6, 5);
    check_gradients::<3, 1, 2, 1, 1, 0>(3, 4);
    check_gradients::<1, 2, 2, 3, 2, 0>(8, 7);
}

#[test]
fn composite_cuda_path_agrees_with_cpu_kernel_values_and_gradients() {
    let dev = Cpu::seed_from_u64(5);
    let conv: Layer<3, 4, 3, 2, 1> = dev.build_module::<builder::Conv2D<3, 4, 3, 2, 1>, f64>();
    let x: Images<2, 3> = dev.sample_normal_like(&(Const, Const, 9, 8));
    let win = Window2D::new(3, 2, 1, 9, 8).unwrap();
    let r: Images<2, 4> = dev.sample_normal_like(&(Const, Const, win.h_out, win.w_out));
    let fast = conv.forward(x.trace(Gradients::leaky()));
    let slow =
        composite::conv2d(x.trace(Gradients::leaky()), &conv.weight, &conv.bias, win).unwrap();
    assert!(max_abs_difference(&fast.as_vec(), &slow.as_vec()) < 1e-10);
    let (fast, slow) = (
        weighted_sum(fast, &r).backward(),
        weighted_sum(slow, &r).backward(),
    );
    assert!(max_abs_difference(&fast.get(&x).as_vec(), &slow.get(&x).as_vec()) < 1e-10);
    assert!(
        max_abs_difference(
            &fast.get(&conv.weight).as_vec(),
            &slow.get(&conv.weight).as_vec()
        ) < 1e-10
    );
    assert!(
        max_abs_difference(
            &fast.get(&conv.bias).as_vec(),
            &slow.get(&conv.bias).as_vec()
        ) < 1e-10
    );
}

type TinyCnn = (
    (builder::Conv2D<1, 8, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (builder::Conv2D<8, 8, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (FlattenTo<{ 8 * 2 * 2 }>, Linear<{ 8 * 2 * 2 }, 3>),
);

#[test]
fn tiny_cnn_drives_loss_down_tenfold_on_a_fixed_batch() {
    let dev = Cpu::seed_from_u64(0);
    let images: Tensor<(Const<16>, Const<1>, usize, usize), f32, Cpu> =
        dev.sample_normal_like(&(Const, Const, 8, 8));
    let mut rng = StdRng::seed_from_u64(0);
    let labels: Vec<f32> = (0..16)
        .flat_map(|_| {
            let class = rng.gen_range(0..3);
            (0..3).map(move |c| if c == class { 1.0 } else { 0.0 })
        })
        .collect();
    let labels: Tensor<Rank2<16, 3>, f32, Cpu> = dev.tensor_from_vec(labels, (Const, Const));
    let mut model = dev.build_module::<TinyCnn, f32>();
    let mut grads = model.alloc_grads();
    let mut adam = Adam::new(
        &model,
        AdamConfig {
            lr: 1e-2,
            ..Default::default()
        },
    );
    let mut losses = Vec::new();
    for _ in 0..150 {
        let logits = model.forward_mut(images.trace(grads));
        let loss = cross_entropy_with_logits_loss(logits, labels.clone());
        losses.push(loss.array());
        grads = loss.backward();
        adam.update(&mut model, &grads).unwrap();
        model.zero_grads(&mut grads);
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(last * 10.0 <= first, "loss {first} -> {last}");
}

#[test]
fn input_smaller_than_kernel_is_a_shape_error_naming_the_shape() {
    let dev = Cpu::default();
    let conv: Layer<2, 3, 5, 1, 1> = dev.build_module::<builder::Conv2D<2, 3, 5, 1, 1>, f64>();
    let x: Images<4, 2> = dev.zeros_like(&(Const, Const, 2, 9));
    let err = conv.checked_forward(x).unwrap_err();
    assert_eq!(err.input, vec![4, 2, 2, 9]);
    let message = err.to_string();
    assert!(
        message.contains("Conv2D<2 -> 3, kernel 5, stride 1, padding 1>"),
        "{message}"
    );
    assert!(message.contains("input (4, 2, 2, 9)"), "{message}");
    assert!(
        message.contains("padded height 4 is smaller than the kernel 5"),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "input (1, 2, 5, 3): padded width 3 is smaller than the kernel 5")]
fn module_forward_panics_with_the_same_shape_message() {
    let dev = Cpu::default();
    let conv: Layer<2, 3, 5, 1, 0> = dev.build_module::<builder::Conv2D<2, 3, 5, 1, 0>, f64>();
    let x: Images<1, 2> = dev.zeros_like(&(Const, Const, 5, 3));
    let _ = conv.forward(x);
}

#[test]
fn parameters_round_trip_through_safetensors() {
    let dev = Cpu::seed_from_u64(3);
    let conv: Conv2D<2, 3, 3, 1, 1, f32, Cpu> =
        dev.build_module::<builder::Conv2D<2, 3, 3, 1, 1>, f32>();
    assert_eq!(conv.num_trainable_params(), 3 * 2 * 3 * 3 + 3);
    let path = std::env::temp_dir().join(format!("dudl-conv-{}.safetensors", std::process::id()));
    conv.save_safetensors(&path).unwrap();
    let mut loaded = dev.build_module::<builder::Conv2D<2, 3, 3, 1, 1>, f32>();
    loaded.load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.weight.as_vec(), conv.weight.as_vec());
    assert_eq!(loaded.bias.as_vec(), conv.bias.as_vec());
}

/// Runs an `f32` layer and the same layer in `f64` on the same input; returns the largest
/// differences in `y`, `dL/dx`, `dL/dW` and `dL/db` for `L = Σ y ⊙ r`, each relative to the
/// largest `f64` magnitude.
fn f32_vs_f64<
    const B: usize,
    const I: usize,
    const O: usize,
    const K: usize,
    const S: usize,
    const P: usize,
>(
    h: usize,
    w: usize,
) -> [f64; 4] {
    let dev = Cpu::seed_from_u64(21);
    let narrow: Conv2D<I, O, K, S, P, f32, Cpu> =
        dev.build_module::<builder::Conv2D<I, O, K, S, P>, f32>();
    let wide: Layer<I, O, K, S, P> = narrow.clone().to_dtype::<f64>();
    let x: Images<B, I> = dev.sample_normal_like(&(Const, Const, h, w));
    let (oh, ow) = Layer::<I, O, K, S, P>::output_hw(h, w).unwrap();
    let r: Images<B, O> = dev.sample_normal_like(&(Const, Const, oh, ow));
    let x32 = x.clone().to_dtype::<f32>();
    let y32 = narrow.forward(x32.trace(Gradients::leaky()));
    let y64 = wide.forward(x.trace(Gradients::leaky()));
    let (v32, v64) = (y32.as_vec(), y64.as_vec());
    let g32 = (y32 * r.clone().to_dtype::<f32>()).sum().backward();
    let g64 = weighted_sum(y64, &r).backward();
    let rel = |a: Vec<f32>, b: Vec<f64>| {
        let scale = b.iter().fold(1e-3, |m, v| v.abs().max(m));
        let a: Vec<f64> = a.into_iter().map(f64::from).collect();
        max_abs_difference(&a, &b) / scale
    };
    [
        rel(v32, v64),
        rel(g32.get(&x32).as_vec(), g64.get(&x).as_vec()),
        rel(
            g32.get(&narrow.weight).as_vec(),
            g64.get(&wide.weight).as_vec(),
        ),
        rel(g32.get(&narrow.bias).as_vec(), g64.get(&wide.bias).as_vec()),
    ]
}

#[test]
fn f32_kernels_agree_with_f64_on_values_and_gradients_including_ragged_tiles() {
    // 13 output channels, 27 patch rows and 5×7 or 9×11 outputs leave partial 8-row,
    // 4-row, 32-column and 16-lane tiles; batch 1 takes the multi-threaded gemm path.
    let cases = [
        f32_vs_f64::<8, 3, 13, 3, 1, 1>(5, 7),
        f32_vs_f64::<4, 3, 13, 3, 2, 0>(19, 23),
        f32_vs_f64::<8, 16, 32, 3, 1, 1>(28, 28),
        f32_vs_f64::<1, 2, 5, 5, 1, 2>(9, 6),
    ];
    for (i, errors) in cases.iter().enumerate() {
        assert!(
            errors.iter().all(|&e| e < 1e-4),
            "case {i}: relative errors {errors:?}"
        );
    }
}

#[test]
fn benchmark_binary_rejects_an_unknown_benchmark_in_one_line_with_nonzero_exit() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dudl"))
        .arg("no-such-benchmark")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("unknown benchmark `no-such-benchmark`"),
        "{stderr}"
    );
}
