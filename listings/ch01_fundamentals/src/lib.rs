//! Chapter 1, Fundamentals: a neuron, the chain rule, a scalar autodiff engine, an MLP trained
//! with it, the same MLP in dfdx, and activation functions.
//!
//! `cargo run --release -p ch01_fundamentals` trains both networks, measures the gradients of
//! two deep networks, writes [`FIGURES`] into `images/ch01/` and prints the numbers the
//! chapter quotes.

pub mod activations;
pub mod autodiff;
pub mod check;
pub mod exercises;
pub mod figures;
pub mod gradient_flow;
pub mod mlp_dfdx;
pub mod mlp_scratch;
pub mod neuron;
pub mod training;

use anyhow::Result;
use dfdx::nn::DeviceBuildExt;
use dudl::cli::Args;
use dudl::Dev;
use mlp_scratch::{Hidden, Mlp};
use std::time::Instant;
use training::{accuracy, final_loss, minibatches, moons, Budget};

/// The figures the binary writes into `images/ch01/`.
pub const FIGURES: &[&str] = &[
    "activations.svg",
    "decision_boundary.svg",
    "loss_curves.svg",
    "gradient_flow.svg",
];

/// Seed of the scratch network's initialisation.
const SCRATCH_SEED: u64 = 1;
/// Seed of the minibatch order, shared by both networks.
const BATCH_SEED: u64 = 2;
/// Seed of dfdx's device, which initialises the dfdx network.
const DFDX_SEED: u64 = 3;
/// Minibatch losses averaged into one point of the loss curves, and into the final loss.
pub const CURVE_WINDOW: usize = 50;

/// A trained network's loss at every step and its held-out accuracy.
#[derive(Clone, Debug)]
pub struct Trained<M> {
    pub model: M,
    pub losses: Vec<f64>,
    pub test_accuracy: f64,
}

/// The 2-16-16-1 tanh network on the scratch engine, trained on two moons.
pub fn train_scratch(budget: Budget) -> Trained<Mlp> {
    let (train, test) = moons();
    let mut mlp = mlp_scratch::moons_mlp(SCRATCH_SEED);
    let losses = mlp.train(
        &train,
        &minibatches(train.len(), budget.steps, BATCH_SEED),
        budget,
    );
    let test_accuracy = accuracy(&test, |x| mlp.predict(x));
    Trained {
        model: mlp,
        losses,
        test_accuracy,
    }
}

/// The same network in dfdx, trained on the same minibatches.
pub fn train_dfdx(budget: Budget) -> Result<Trained<mlp_dfdx::MoonsNet>> {
    let (train, test) = moons();
    let dev = Dev::seed_from_u64(DFDX_SEED);
    let mut model = dev.build_module::<mlp_dfdx::MoonsArch, f32>();
    let batches = minibatches(train.len(), budget.steps, BATCH_SEED);
    let losses = mlp_dfdx::train(&mut model, &train, &batches, budget)?;
    let test_accuracy = accuracy(&test, |x| mlp_dfdx::predict(&model, x));
    Ok(Trained {
        model,
        losses,
        test_accuracy,
    })
}

/// Weight-gradient norms per layer of the deep sigmoid and the deep ReLU network at
/// initialisation, on the first minibatch of the training set.
pub fn deep_gradient_norms() -> (Vec<f64>, Vec<f64>) {
    let (train, _) = moons();
    let batch = &minibatches(train.len(), 1, BATCH_SEED)[0];
    let norms = |hidden| {
        gradient_flow::weight_grad_norms(
            &gradient_flow::deep_mlp(hidden, SCRATCH_SEED),
            &train,
            batch,
        )
    };
    (norms(Hidden::Sigmoid), norms(Hidden::Relu))
}

/// The chapter binary: trains, measures, writes [`FIGURES`] into `args.out_dir` and prints
/// the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let budget = Budget::new(args.quick);

    let example = neuron::neuron_by_hand(0.8, -0.5, 1.5, 1.0);
    println!(
        "neuron w=0.8 b=-0.5 x=1.5 y=1: loss {:.6}, grad_w {:.6}, grad_b {:.6}",
        example.loss, example.grad_w, example.grad_b
    );

    let check = check::gradient_check(&Dev::default())?;
    println!(
        "gradient check, max error: scratch vs finite differences {:.1e}, dfdx vs scratch {:.1e}",
        check.scratch_vs_numerical, check.dfdx_vs_scratch
    );

    let scratch = train_scratch(budget);
    let dfdx = train_dfdx(budget)?;
    for (name, losses, acc) in [
        ("scratch", &scratch.losses, scratch.test_accuracy),
        ("dfdx", &dfdx.losses, dfdx.test_accuracy),
    ] {
        println!(
            "{name:>7}: {} steps, final loss {:.4} (mean of the last {CURVE_WINDOW}), held-out accuracy {:.1}%",
            losses.len(),
            final_loss(losses, CURVE_WINDOW),
            100.0 * acc
        );
    }

    println!(
        "exercise 3, ReLU hidden units: held-out accuracy {:.1}%",
        100.0 * exercises::relu_mlp_accuracy(budget)
    );

    let (sigmoid, relu) = deep_gradient_norms();
    for (name, norms) in [("sigmoid", &sigmoid), ("ReLU", &relu)] {
        let per_layer = gradient_flow::per_layer_factors(norms);
        println!(
            "{name:>7} stack: |dL/dW| {:.1e} at layer 1, {:.1e} at layer {}: {:.1}x smaller at layer 1 \
             ({:.1}x to {:.1}x per layer)",
            norms[0],
            norms[norms.len() - 2],
            norms.len() - 1,
            gradient_flow::shrink_factor(norms),
            per_layer.iter().copied().fold(f64::INFINITY, f64::min),
            per_layer.iter().copied().fold(0.0, f64::max),
        );
    }

    let (_, test) = moons();
    figures::activations(&args.figure(FIGURES[0]))?;
    figures::decision_boundary(
        &args.figure(FIGURES[1]),
        &test,
        [
            (
                &format!(
                    "scratch engine: {:.0}% held out",
                    100.0 * scratch.test_accuracy
                ),
                &|x| scratch.model.predict(x),
            ),
            (
                &format!("dfdx: {:.0}% held out", 100.0 * dfdx.test_accuracy),
                &|x| mlp_dfdx::predict(&dfdx.model, x),
            ),
        ],
    )?;
    figures::loss_curves(
        &args.figure(FIGURES[2]),
        &scratch.losses,
        &dfdx.losses,
        CURVE_WINDOW,
    )?;
    figures::gradient_flow(&args.figure(FIGURES[3]), &sigmoid, &relu)?;
    println!(
        "wrote {} figures to {} in {:.1} s",
        FIGURES.len(),
        args.out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
