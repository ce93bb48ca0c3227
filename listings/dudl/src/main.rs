//! Benchmarks of the layers dudl owns: `cargo run --release -p dudl -- conv`.
//!
//! `conv` times, on the CPU, the convolution of a 64×16×28×28 batch to 32 channels with a 3×3
//! kernel (forward, and forward + backward) and one Adam step of a two-convolution CNN, then
//! runs the same in PyTorch (`bench/conv_bench.py`, same thread count) when `python3` can
//! import `torch`, and prints the median and the minimum of each side and the ratio of the
//! medians, Rust ÷ PyTorch (as `cargo run --release -p bench -- chapters` does for the
//! chapters' training steps).

use std::process::{Command, ExitCode};
use std::time::Instant;

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::builders::{Linear, ReLU};
use dfdx::optim::{Adam, AdamConfig, Optimizer};
use dfdx::prelude::*;
use dudl::conv::builder::Conv2D;
use dudl::pool::{FlattenTo, MaxPool2D};

const BATCH: usize = 64;
const WARMUP: usize = 5;
const REPS: usize = 31;

/// The CNN of the training-step benchmark: 1×28×28 → conv 16 → pool → conv 32 → pool → 10.
type Cnn = (
    (Conv2D<1, 16, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (Conv2D<16, 32, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (FlattenTo<{ 32 * 7 * 7 }>, Linear<{ 32 * 7 * 7 }, 10>),
);

/// The median and the minimum wall time of `REPS` calls of `step` after `WARMUP` untimed
/// ones, in ms.
fn median_ms(mut step: impl FnMut()) -> [f64; 2] {
    (0..WARMUP).for_each(|_| step());
    let mut times: Vec<f64> = (0..REPS)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    [times[REPS / 2], times[0]]
}

/// Rust timings, median and minimum, in the order of [`BENCHMARKS`].
fn rust_timings() -> Vec<[f64; 2]> {
    let dev = Cpu::seed_from_u64(0);
    let x: Tensor<(Const<BATCH>, Const<16>, usize, usize), f32, Cpu> =
        dev.sample_normal_like(&(Const, Const, 28, 28));
    let conv = dev.build_module::<Conv2D<16, 32, 3, 1, 1>, f32>();
    let mut grads = conv.alloc_grads();
    let forward = median_ms(|| drop(conv.forward(x.clone())));
    let forward_backward = median_ms(|| {
        let y = conv.forward(x.trace(std::mem::replace(&mut grads, Gradients::leaky())));
        grads = y.sum().backward();
    });
    vec![forward, forward_backward, cnn_step_ms(&dev)]
}

/// One Adam step of [`Cnn`] on a fixed batch of random images and labels.
fn cnn_step_ms(dev: &Cpu) -> [f64; 2] {
    let images: Tensor<(Const<BATCH>, Const<1>, usize, usize), f32, Cpu> =
        dev.sample_normal_like(&(Const, Const, 28, 28));
    let labels: Tensor<Rank2<BATCH, 10>, f32, Cpu> =
        dev.sample_normal::<Rank2<BATCH, 10>>().softmax::<Axis<1>>();
    let mut model = dev.build_module::<Cnn, f32>();
    let mut grads = model.alloc_grads();
    let mut adam = Adam::new(&model, AdamConfig::default());
    median_ms(|| {
        let logits =
            model.forward_mut(images.trace(std::mem::replace(&mut grads, Gradients::leaky())));
        grads = cross_entropy_with_logits_loss(logits, labels.clone()).backward();
        adam.update(&mut model, &grads)
            .expect("every parameter has a gradient");
        model.zero_grads(&mut grads);
    })
}

/// What each row measures, as PyTorch's script names it and as the table prints it.
const BENCHMARKS: [(&str, &str); 3] = [
    ("conv_fwd", "conv 64x16x28x28 -> 32, 3x3 fwd"),
    ("conv_fwd_bwd", "conv 64x16x28x28 -> 32, 3x3 fwd+bwd"),
    ("cnn_step", "cnn train step (2 conv, Adam)"),
];

/// PyTorch's timings (median and minimum) from `bench/conv_bench.py`, or why there are none.
fn torch_timings(threads: usize) -> Result<Vec<[f64; 2]>, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/conv_bench.py");
    let args = [
        script,
        "--threads",
        &threads.to_string(),
        "--warmup",
        &WARMUP.to_string(),
    ];
    let output = Command::new("python3")
        .args(args)
        .args(["--reps", &REPS.to_string()])
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.lines().last().unwrap_or("no output").to_string());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    BENCHMARKS
        .iter()
        .map(|(key, _)| {
            stdout
                .lines()
                .find_map(|line| {
                    let mut fields = line.strip_prefix(key)?.split_whitespace();
                    let median = fields.next()?.parse().ok()?;
                    Some([median, fields.next()?.parse().ok()?])
                })
                .ok_or_else(|| format!("bench script printed no `{key} <median> <min>` line"))
        })
        .collect()
}

fn print_table(rust: &[[f64; 2]], torch: &Result<Vec<[f64; 2]>, String>, threads: usize) {
    println!("CPU, {threads} threads, {REPS} runs after {WARMUP} warm-up runs, times in ms");
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "benchmark", "Rust med", "Rust min", "Torch med", "Torch min", "ratio"
    );
    for (i, (_, label)) in BENCHMARKS.iter().enumerate() {
        let [median, min] = rust[i];
        match torch {
            Ok(t) => println!(
                "{label:<40} {median:>9.2} {min:>9.2} {:>9.2} {:>9.2} {:>6.2}",
                t[i][0],
                t[i][1],
                median / t[i][0]
            ),
            Err(_) => println!(
                "{label:<40} {median:>9.2} {min:>9.2} {:>9} {:>9} {:>6}",
                "-", "-", "-"
            ),
        }
    }
    if let Err(why) = torch {
        println!("PyTorch absent, no ratios: {why}");
    }
}

fn conv_benchmark() {
    let threads = rayon::current_num_threads();
    let rust = rust_timings();
    let torch = torch_timings(threads);
    print_table(&rust, &torch, threads);
}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("conv") => {
            conv_benchmark();
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown benchmark `{other}`; available: conv");
            ExitCode::from(2)
        }
        None => {
            eprintln!("usage: cargo run --release -p dudl -- <benchmark>; available: conv");
            ExitCode::from(2)
        }
    }
}
