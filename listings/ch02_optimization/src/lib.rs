//! Chapter 2 of *Deep Understanding of Deep Learning*: optimization, initialization and
//! generalization.
//!
//! Gradient descent and momentum on quadratics ([`quadratic`]), SGD, RMSprop and Adam from
//! scratch ([`optimizers`]) and checked against dfdx ([`agree`], [`adam_properties`]),
//! initialization through depth ([`init`]), learning-rate schedules ([`schedules`]),
//! overfitting and regularization ([`generalization`]) and two debugging habits
//! ([`debugging`]), on the UCI digits ([`task`], [`experiments`]).

pub mod adam_properties;
pub mod agree;
pub mod debugging;
pub mod exercises;
pub mod experiments;
pub mod figures;
pub mod generalization;
pub mod init;
pub mod noise;
pub mod optimizers;
pub mod quadratic;
pub mod schedules;
pub mod task;

use anyhow::{anyhow, Result};
use dudl::cli::Args;
use dudl::numbers::Numbers;
use experiments::{Budget, WARMUP_LR};
use init::Init;
use optimizers::WeightDecay;
use quadratic::Quadratic;
use std::time::Instant;

/// The device of this chapter: the CPU, also with `--features cuda`. Its small
/// networks train several at a time on separate threads, and a CUDA device
/// cannot be shared between threads.
pub type Dev = dfdx::tensor::Cpu;

/// The figures `cargo run --release -p ch02_optimization` writes into `images/ch02/`.
pub const FIGURES: &[&str] = &[
    "quadratic.svg",
    "optimizers.svg",
    "initialization.svg",
    "schedules.svg",
    "overfitting.svg",
];

/// The quadratic of the theory: eigenvalues μ = 1 and L = 100, κ = 100.
pub const MU: f64 = 1.0;
pub const L: f64 = 100.0;
/// The error the iteration counts are measured to.
pub const TOL: f64 = 1e-6;

/// GD, heavy ball and Nesterov on `diag(μ, L)`; the paths of the figure.
fn quadratics(numbers: &mut Numbers) -> Result<()> {
    use quadratic::*;
    let f = Quadratic::diagonal(&[MU, L]);
    let x0 = [1.0, 1.0];
    let (gd_eta, gd_rate) = best_gd(MU, L);
    let (hb_eta, hb_beta, hb_rate) = best_heavy_ball(MU, L);
    let gd = gradient_descent(&f, &x0, gd_eta, 2000);
    let hb = heavy_ball(&f, &x0, hb_eta, hb_beta, 2000);
    let nesterov_beta = ((L / MU).sqrt() - 1.0) / ((L / MU).sqrt() + 1.0);
    let nest = nesterov(&f, &x0, 1.0 / L, nesterov_beta, 2000);
    let count = |path: &[Vec<f64>]| {
        iterations_to(path, TOL)
            .ok_or_else(|| anyhow!("no convergence to {TOL}"))
    };
    let (gd_n, hb_n, nest_n) = (count(&gd)?, count(&hb)?, count(&nest)?);
    let (gd_theory, hb_theory) = predicted_iterations(MU, L, TOL);
    numbers.fixed("gd_eta", gd_eta, 4);
    numbers.fixed("gd_rate", gd_rate, 4);
    numbers.fixed("hb_eta", hb_eta, 4);
    numbers.fixed("hb_beta", hb_beta, 4);
    numbers.fixed("hb_rate", hb_rate, 4);
    numbers.count("gd_iterations", gd_n);
    numbers.count("hb_iterations", hb_n);
    numbers.count("nesterov_iterations", nest_n);
    numbers.count("gd_iterations_theory", gd_theory);
    numbers.count("hb_iterations_theory", hb_theory);
    numbers.fixed("speedup", gd_n as f64 / hb_n as f64, 2);
    numbers.fixed("speedup_theory", gd_theory as f64 / hb_theory as f64, 2);
    numbers.fixed("speedup_asymptotic", hb_rate.ln() / gd_rate.ln(), 2);
    let limit = 2.0 / L;
    let below = gradient_descent(&f, &x0, 0.99 * limit, 2000);
    let above = gradient_descent(&f, &x0, 1.01 * limit, 2000);
    numbers.scientific("below_limit_error", norm(&below[2000]) / norm(&x0), 0);
    numbers.scientific("above_limit_error", norm(&above[2000]) / norm(&x0), 0);
    Ok(())
}

/// Paths of 40 steps on the rotated quadratic: GD, heavy ball and Adam.
fn paths(f: &Quadratic) -> Vec<(String, Vec<[f64; 2]>)> {
    use quadratic::*;
    let x0 = [-1.5, 0.5];
    let (gd_eta, _) = best_gd(MU, 20.0);
    let (hb_eta, hb_beta, _) = best_heavy_ball(MU, 20.0);
    let to_points =
        |p: Vec<Vec<f64>>| p.into_iter().map(|x| [x[0], x[1]]).collect();
    let mut adam = optimizers::Adam::new(0.1, WeightDecay::None);
    let mut theta = x0.map(|v| v as f32).to_vec();
    let mut adam_path = vec![x0];
    for _ in 0..40 {
        let x: Vec<f64> = theta.iter().map(|&v| v as f64).collect();
        let g: Vec<f32> = f.grad(&x).iter().map(|&v| v as f32).collect();
        optimizers::Optimizer::step(&mut adam, &mut theta, &g);
        adam_path.push([theta[0] as f64, theta[1] as f64]);
    }
    vec![
        (
            "GD, best step".into(),
            to_points(gradient_descent(f, &x0, gd_eta, 40)),
        ),
        (
            "heavy ball, best η, β".into(),
            to_points(heavy_ball(f, &x0, hb_eta, hb_beta, 40)),
        ),
        ("Adam η = 0.1".into(), adam_path),
    ]
}

/// The error curves of the right panel of the quadratic figure.
fn error_curves() -> Vec<(String, Vec<f64>)> {
    use quadratic::*;
    let f = Quadratic::diagonal(&[MU, L]);
    let x0 = [1.0, 1.0];
    let (gd_eta, _) = best_gd(MU, L);
    let (hb_eta, hb_beta, _) = best_heavy_ball(MU, L);
    let nesterov_beta = ((L / MU).sqrt() - 1.0) / ((L / MU).sqrt() + 1.0);
    let relative =
        |p: Vec<Vec<f64>>| p.iter().map(|x| norm(x) / norm(&x0)).collect();
    vec![
        (
            "GD, η = 2/(L+μ)".into(),
            relative(gradient_descent(&f, &x0, gd_eta, 800)),
        ),
        (
            "heavy ball, best η, β".into(),
            relative(heavy_ball(&f, &x0, hb_eta, hb_beta, 800)),
        ),
        (
            "Nesterov, η = 1/L".into(),
            relative(nesterov(&f, &x0, 1.0 / L, nesterov_beta, 800)),
        ),
    ]
}

/// Everything the chapter computes, figures written, numbers recorded.
pub fn write_chapter(args: &Args) -> Result<Numbers> {
    let budget = Budget::new(args.quick);
    let split = task::split()?;
    let mut numbers = Numbers::new();
    numbers.count("train_images", split.train.len());
    numbers.count("held_out_images", split.validation.len());

    quadratics(&mut numbers)?;
    let rotated = Quadratic::rotated(MU, 20.0, std::f64::consts::FRAC_PI_4);
    let trajectories = figures::Trajectories {
        title: "κ = 20: 40 steps of each".into(),
        paths: paths(&rotated),
        f: rotated,
    };
    figures::quadratic(
        &args.figure(FIGURES[0]),
        trajectories,
        &error_curves(),
    )?;

    let (left, right) = std::thread::scope(|s| {
        let left = s.spawn(|| -> Result<_> {
            let deep = experiments::deep(&split, &budget)?;
            let curves = experiments::optimizers(&split, &budget)?;
            let capacity = experiments::capacity(&split, &budget)?;
            Ok((deep, curves, capacity))
        });
        let right = s.spawn(|| -> Result<_> {
            let fits = experiments::overfitting(&split, &budget)?;
            let list = experiments::schedule_list(experiments::SCHEDULE_LR);
            let scheduled = experiments::schedules_run(&split, &budget, list)?;
            let range = experiments::range_test(&split, &budget)?;
            let mut hot = experiments::schedule_list(WARMUP_LR);
            hot.retain(|(name, _)| name.contains("cosine"));
            let warmup = experiments::schedules_run(&split, &budget, hot)?;
            Ok((fits, scheduled, range, warmup))
        });
        (join(left), join(right))
    });
    let (deep, curves, mut capacity) = left?;
    let (fits, scheduled, range, warmup) = right?;

    let one = noise::gradient_noise(&split.train, 1, 400, experiments::SEED);
    for batch in [8, 64] {
        let measured =
            noise::gradient_noise(&split.train, batch, 400, experiments::SEED)
                / one;
        let predicted = noise::predicted_noise_ratio(split.train.len(), batch);
        numbers.fixed(&format!("noise_{batch}"), measured, 4);
        numbers.fixed(&format!("noise_{batch}_theory"), predicted, 4);
    }
    agreement(&split, &mut numbers)?;
    adam(&split, &mut numbers);
    debugging(&split, &mut numbers);

    for (key, curve) in
        ["sgd", "momentum", "rmsprop", "adam"].iter().zip(&curves)
    {
        numbers.fixed(
            &format!("final_loss_{key}"),
            tail_mean(&curve.history.losses, 100),
            3,
        );
    }
    figures::optimizers(&args.figure(FIGURES[1]), &curves)?;

    initialization(&split, &deep, &mut numbers, &args.figure(FIGURES[2]))?;

    for (key, (_, train_loss)) in
        ["constant", "step", "cosine", "warmup_cosine"]
            .iter()
            .zip(&scheduled)
    {
        numbers.scientific(&format!("schedule_{key}"), *train_loss, 1);
    }
    numbers.fixed("schedule_lr", experiments::SCHEDULE_LR, 2);
    numbers.fixed("warmup_lr", WARMUP_LR, 2);
    numbers.fixed("hot_cosine", warmup[0].1, 3);
    numbers.fixed("hot_warmup_cosine", warmup[1].1, 3);
    let (best_lr, _) = range
        .iter()
        .copied()
        .fold((0.0, f64::INFINITY), |b, p| if p.1 < b.1 { p } else { b });
    numbers.scientific("range_best_lr", best_lr, 1);
    numbers.scientific("range_last_lr", range.last().map_or(0.0, |p| p.0), 1);
    let shapes = experiments::schedule_list(1.0)
        .into_iter()
        .map(|(name, schedule)| {
            let points =
                (0..=100).map(|t| (t as f64, schedule(t, 100))).collect();
            (name.to_string(), points)
        })
        .collect::<Vec<_>>();
    let runs: Vec<_> = scheduled.into_iter().map(|(curve, _)| curve).collect();
    figures::schedules(&args.figure(FIGURES[3]), &shapes, &range, &runs)?;

    for (key, fit) in ["plain", "decay", "dropout"].iter().zip(&fits) {
        let last = fit.last();
        numbers.fixed(&format!("{key}_train_loss"), last.train_loss, 4);
        numbers.fixed(
            &format!("{key}_validation_loss"),
            last.validation_loss,
            3,
        );
        numbers.fixed(&format!("{key}_gap"), fit.gap(), 3);
        numbers.percent(
            &format!("{key}_test_accuracy_end"),
            fit.test_accuracy_end,
            1,
        );
    }
    let plain = &fits[0];
    numbers.percent(
        "plain_validation_accuracy",
        plain.last().validation_accuracy,
        1,
    );
    numbers.count("plain_best_step", plain.best.step);
    numbers.fixed("plain_best_validation_loss", plain.best.validation_loss, 3);
    numbers.percent(
        "plain_best_validation_accuracy",
        plain.best.validation_accuracy,
        1,
    );
    numbers.percent("plain_test_accuracy_best", plain.test_accuracy_best, 1);
    let minimum = plain
        .history
        .checkpoints
        .iter()
        .map(|c| c.validation_loss)
        .fold(f64::INFINITY, f64::min);
    numbers.fixed("plain_min_validation_loss", minimum, 3);
    numbers.count("overfit_steps", budget.overfit_steps);
    numbers.count("steps", budget.steps);
    numbers.count("deep_steps", budget.deep_steps);
    capacity.push(fits[0].clone());
    let widths = experiments::WIDTHS;
    for (width, fit) in widths.iter().zip(&capacity) {
        let last = fit.last();
        numbers.fixed(&format!("width_{width}_train_loss"), last.train_loss, 4);
        numbers.fixed(
            &format!("width_{width}_validation_loss"),
            last.validation_loss,
            3,
        );
    }
    figures::overfitting(&args.figure(FIGURES[4]), &fits, &widths, &capacity)?;

    numbers.write(&args.out_dir)?;
    Ok(numbers)
}

/// The mean of the last `n` values.
pub fn tail_mean(values: &[f64], n: usize) -> f64 {
    let tail = &values[values.len().saturating_sub(n)..];
    tail.iter().sum::<f64>() / tail.len().max(1) as f64
}

/// Our optimizers against dfdx's: the largest difference of each pair after 100 steps.
fn agreement(split: &task::Split, numbers: &mut Numbers) -> Result<()> {
    let keys = [
        "sgd",
        "momentum",
        "nesterov_l2",
        "momentum_decoupled",
        "rmsprop",
        "adam",
        "adam_l2",
        "adamw",
    ];
    let mut worst: f64 = 0.0;
    for (key, mut pair) in keys.iter().zip(agree::pairs()) {
        let diff = agree::max_difference(
            pair.dfdx,
            pair.scratch.as_mut(),
            &split.train,
            100,
        )?;
        numbers.scientific(&format!("agree_{key}"), diff, 1);
        worst = worst.max(diff);
    }
    numbers.scientific("agree_worst", worst, 1);
    Ok(())
}

/// Adam's first step and its indifference to the scale of the loss, against SGD's.
fn adam(split: &task::Split, numbers: &mut Numbers) {
    use adam_properties::*;
    let lr = 1e-3;
    let (moved, still) = first_step_sizes(
        &mut optimizers::Adam::new(lr, WeightDecay::None),
        &split.train,
    );
    let low = moved.iter().copied().fold(f64::INFINITY, f64::min) / lr;
    let high = moved.iter().copied().fold(0.0, f64::max) / lr;
    numbers.fixed("adam_first_step_min", low, 4);
    numbers.fixed("adam_first_step_max", high, 4);
    numbers.count("adam_first_step_moved", moved.len());
    numbers.count("adam_first_step_still", still);
    let steps = 50;
    let adam_path = |scale| {
        trajectory(
            &mut optimizers::Adam::new(lr, WeightDecay::None),
            scale,
            &split.train,
            steps,
        )
    };
    let (plain, scaled) = (adam_path(1.0), adam_path(1000.0));
    numbers.scientific("adam_scale_gap", max_gap(&plain, &scaled), 1);
    numbers.scientific("adam_moved", max_gap(&plain[..1], &plain[steps..]), 1);
    let sgd_path = |scale| {
        trajectory(
            &mut optimizers::Sgd::new(0.01, 0.0, false, WeightDecay::None),
            scale,
            &split.train,
            1,
        )
    };
    let ratio =
        step_lengths(&sgd_path(1000.0))[0] / step_lengths(&sgd_path(1.0))[0];
    numbers.fixed("sgd_scale_ratio", ratio, 1);
}

/// Overfitting one batch, and update-to-weight ratios.
fn debugging(split: &task::Split, numbers: &mut Numbers) {
    let losses = debugging::overfit_one_batch(
        &mut optimizers::Adam::new(1e-2, WeightDecay::None),
        &split.train,
        32,
        200,
    );
    numbers.scientific(
        "one_batch_loss",
        *losses.last().unwrap_or(&f64::NAN),
        1,
    );
    for (key, mut opt) in [
        (
            "sgd",
            Box::new(optimizers::Sgd::new(0.1, 0.0, false, WeightDecay::None))
                as Box<dyn optimizers::Optimizer>,
        ),
        (
            "adam",
            Box::new(optimizers::Adam::new(1e-3, WeightDecay::None)),
        ),
    ] {
        let ratios = debugging::update_ratios(opt.as_mut(), &split.train, 20);
        for (l, r) in ratios.iter().enumerate() {
            numbers.scientific(&format!("update_ratio_{key}_{}", l + 1), *r, 1);
        }
    }
}

/// Variance gains on wide layers, the deep network's layer statistics and training.
fn initialization(
    split: &task::Split,
    deep: &[(Init, task::History)],
    numbers: &mut Numbers,
    path: &std::path::Path,
) -> Result<()> {
    let keys = ["he", "xavier", "default"];
    let mut stds = Vec::new();
    let (x, _) = split.validation.first(256).all(&crate::Dev::default());
    for (key, &init) in keys.iter().zip(&Init::ALL) {
        let gains =
            init::variance_gains::<512, 256>(init, 8, experiments::SEED);
        numbers.fixed(&format!("gain_{key}"), init::geometric_mean(&gains), 3);
        let layer_stds =
            init::layer_stds(&init::deep(init, experiments::SEED), x.clone());
        numbers.scientific(
            &format!("deep_std_last_{key}"),
            *layer_stds.last().unwrap_or(&0.0),
            1,
        );
        stds.push((init, layer_stds));
    }
    for (key, (_, history)) in keys.iter().zip(deep) {
        numbers.fixed(
            &format!("deep_loss_{key}"),
            tail_mean(&history.losses, 50),
            3,
        );
    }
    figures::initialization(path, &stds, deep)
}

/// The chapter binary: runs every experiment, writes the figures and the numbers.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let numbers = write_chapter(args)?;
    numbers.print();
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The result of a scoped experiment thread; a panic there becomes an error here.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle
        .join()
        .map_err(|_| anyhow!("an experiment thread panicked"))?
}
