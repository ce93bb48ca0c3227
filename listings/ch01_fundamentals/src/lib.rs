//! Chapter 1, Fundamentals: a neuron, the chain rule, a scalar autodiff engine, an MLP trained
//! with it, the same MLP in dfdx, and activation functions.
//!
//! `cargo run --release -p ch01_fundamentals` trains both networks, measures the gradients of
//! two deep networks, writes [`FIGURES`] into `images/ch01/` and prints the numbers the
//! chapter quotes.

pub mod activations;
pub mod autodiff;
pub mod backprop;
pub mod check;
pub mod exercises;
pub mod figures;
pub mod gradient_flow;
pub mod losses;
pub mod mlp_dfdx;
pub mod mlp_scratch;
pub mod neuron;
pub mod training;

use anyhow::Result;
use dfdx::nn::DeviceBuildExt;
use dudl::cli::Args;
use dudl::numbers::Numbers;
use dudl::Dev;
use mlp_scratch::{moons_mlp, Hidden, Mlp};
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

/// ‖Δ⁽ˡ⁾‖ of every hidden layer of the deep sigmoid and the deep ReLU network
/// at initialisation, on the first minibatch of the training set.
pub fn deep_delta_norms() -> (Vec<f64>, Vec<f64>) {
    let (train, _) = moons();
    let batch = &minibatches(train.len(), 1, BATCH_SEED)[0];
    let norms = |hidden| {
        gradient_flow::delta_norms(
            &gradient_flow::deep_mlp(hidden, SCRATCH_SEED),
            &train,
            batch,
        )
    };
    (norms(Hidden::Sigmoid), norms(Hidden::Relu))
}

/// The chapter binary: trains, measures, writes [`FIGURES`] and the numbers
/// the text quotes into `args.out_dir`, and prints them.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let budget = Budget::new(args.quick);
    let mut numbers = Numbers::new();
    record_neuron(&mut numbers);
    record_losses(&mut numbers);
    record_slopes(&mut numbers);

    let check = check::gradient_check(&Dev::default())?;
    numbers.scientific(
        "check_scratch_vs_numerical",
        check.scratch_vs_numerical,
        1,
    );
    numbers.scientific("check_dfdx_vs_scratch", check.dfdx_vs_scratch, 1);
    numbers.scientific("check_matrix_vs_scratch", check.matrix_vs_scratch, 1);

    let (train, test) = moons();
    let batch = &minibatches(train.len(), 1, BATCH_SEED)[0];
    let mut tape = autodiff::Tape::new();
    moons_mlp(SCRATCH_SEED).loss_and_grad(&mut tape, &train, batch);
    numbers.count("tape_nodes_per_step", tape.len());

    let scratch = train_scratch(budget);
    let dfdx = train_dfdx(budget)?;
    numbers.count("steps", budget.steps);
    numbers.count("held_out", test.len());
    for (name, trained_losses, acc) in [
        ("scratch", &scratch.losses, scratch.test_accuracy),
        ("dfdx", &dfdx.losses, dfdx.test_accuracy),
    ] {
        let loss = final_loss(trained_losses, CURVE_WINDOW);
        numbers.fixed(&format!("{name}_final_loss"), loss, 4);
        numbers.percent(&format!("{name}_accuracy"), acc, 1);
        let correct = (acc * test.len() as f64).round() as usize;
        numbers.count(&format!("{name}_correct"), correct);
    }
    let relu_accuracy = exercises::relu_mlp_accuracy(budget);
    numbers.percent("exercise_relu_accuracy", relu_accuracy, 1);

    let (sigmoid, relu) = deep_delta_norms();
    for (name, norms) in [("sigmoid", &sigmoid), ("relu", &relu)] {
        let per_layer = gradient_flow::per_layer_factors(norms);
        let min = per_layer.iter().copied().fold(f64::INFINITY, f64::min);
        let max = per_layer.iter().copied().fold(0.0, f64::max);
        numbers.scientific(&format!("{name}_delta_first"), norms[0], 1);
        numbers.scientific(
            &format!("{name}_delta_last"),
            norms[norms.len() - 1],
            1,
        );
        numbers.scientific(
            &format!("{name}_shrink"),
            gradient_flow::shrink_factor(norms),
            1,
        );
        numbers.fixed(&format!("{name}_per_layer_min"), min, 1);
        numbers.fixed(&format!("{name}_per_layer_max"), max, 1);
    }

    write_figures(args, &scratch, &dfdx, &sigmoid, &relu)?;
    numbers.write(&args.out_dir)?;
    numbers.print();
    println!(
        "wrote {} figures and {} to {} in {:.1} s",
        FIGURES.len(),
        dudl::numbers::FILE,
        args.out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The worked neuron, w = 0.8, b = −0.5, x = 1.5, y = 1: every row of the
/// chapter's table.
fn record_neuron(numbers: &mut Numbers) {
    let (w, b, x, y) = (0.8, -0.5, 1.5, 1.0);
    let worked = neuron::neuron_by_hand(w, b, x, y);
    let z = w * x + b;
    let a = activations::sigmoid(z);
    numbers.fixed("neuron_z", z, 1);
    numbers.fixed("neuron_a", a, 6);
    numbers.fixed("neuron_loss", worked.loss, 6);
    numbers.fixed("neuron_grad_a", 2.0 * (a - y), 6);
    numbers.fixed("neuron_sigma_prime", a * (1.0 - a), 6);
    numbers.fixed("neuron_grad_z", worked.grad_b, 6);
    numbers.fixed("neuron_grad_w", worked.grad_w, 6);
    numbers.fixed("neuron_grad_b", worked.grad_b, 6);
}

/// The gradients of a confidently wrong sigmoid unit (logit −6, label 1)
/// under cross-entropy and squared error.
fn record_losses(numbers: &mut Numbers) {
    let (z, y) = (losses::CONFIDENT_WRONG_LOGIT, 1.0);
    let cross_entropy = losses::binary_cross_entropy_grad(z, y);
    let squared = losses::squared_error_grad(z, y);
    numbers.fixed("wrong_unit_probability", activations::sigmoid(z), 4);
    numbers.fixed("wrong_unit_ce_grad", cross_entropy, 4);
    numbers.fixed("wrong_unit_se_grad", squared, 4);
    numbers.fixed("wrong_unit_ratio", cross_entropy / squared, 0);
}

/// The lowest and highest slopes of GELU and SiLU on 401 points in [−6, 6].
fn record_slopes(numbers: &mut Numbers) {
    let grid = (0..=400).map(|i| -6.0 + 12.0 * i as f64 / 400.0);
    let slopes = [
        ("gelu", activations::gelu_prime as fn(f64) -> f64),
        ("silu", activations::silu_prime),
    ];
    for (name, slope) in slopes {
        let values: Vec<f64> = grid.clone().map(slope).collect();
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        numbers.fixed(&format!("{name}_slope_min"), min, 2);
        numbers.fixed(&format!("{name}_slope_max"), max, 2);
    }
}

/// Writes [`FIGURES`].
fn write_figures(
    args: &Args,
    scratch: &Trained<Mlp>,
    dfdx: &Trained<mlp_dfdx::MoonsNet>,
    sigmoid: &[f64],
    relu: &[f64],
) -> Result<()> {
    let (_, test) = moons();
    figures::activations(&args.figure(FIGURES[0]))?;
    let scratch_title = format!(
        "scratch engine: {:.0}% held out",
        100.0 * scratch.test_accuracy
    );
    let dfdx_title =
        format!("dfdx: {:.0}% held out", 100.0 * dfdx.test_accuracy);
    figures::decision_boundary(
        &args.figure(FIGURES[1]),
        &test,
        [
            (&scratch_title, &|x| scratch.model.predict(x)),
            (&dfdx_title, &|x| mlp_dfdx::predict(&dfdx.model, x)),
        ],
    )?;
    figures::loss_curves(
        &args.figure(FIGURES[2]),
        &scratch.losses,
        &dfdx.losses,
        CURVE_WINDOW,
    )?;
    figures::gradient_flow(&args.figure(FIGURES[3]), sigmoid, relu)
}
