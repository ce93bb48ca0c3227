//! Chapter 3 of *Deep Understanding of Deep Learning*: convolutional networks.
//!
//! Convolution from scratch ([`scratch`]), the networks the chapter compares ([`models`]),
//! training and measurement on the shipped 28×28 digits ([`train`]), the figures
//! ([`figures`]) and the exercises' solutions ([`exercises`]).

pub mod exercises;
pub mod figures;
pub mod models;
pub mod scratch;
pub mod train;

use anyhow::Result;
use dfdx::prelude::*;
use dudl::cli::Args;
use dudl::data::mnist::{self, Labelled, CLASSES, PIXELS};
use dudl::numbers::Numbers;
use dudl::Dev;
use std::time::Instant;
use train::{accuracy, confusion, predict, shifted, Classifier, CurvePoint, Schedule};

/// The figures `cargo run --release -p ch03_cnn` writes into `images/ch03/`.
pub const FIGURES: &[&str] = &[
    "conv_step.svg",
    "filters.png",
    "feature_maps_1.png",
    "feature_maps_2.png",
    "training_curves.svg",
    "confusion.svg",
    "shift.svg",
    "depth.svg",
];

/// A model type built on the chapter's device.
pub type Built<M> = <M as BuildOnDevice<Dev, f32>>::Built;

/// Largest shift, in pixels, of the shift experiment.
pub const MAX_SHIFT: usize = 4;

/// How much data and how many epochs each experiment gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Training images (a prefix of the shipped 8,000).
    pub train_images: usize,
    /// Held-out images (a prefix of the shipped 2,000).
    pub test_images: usize,
    /// Epochs of LeNet.
    pub lenet_epochs: usize,
    /// Epochs of the MLP and of logistic regression: more, because each of their epochs
    /// costs a fraction of LeNet's.
    pub baseline_epochs: usize,
    /// Epochs of the global-average-pooling CNN (with batch norm).
    pub gap_epochs: usize,
    /// Training images the deep plain and residual networks see, once.
    pub depth_images: usize,
    /// Held-out evaluations per epoch of LeNet and the baselines.
    pub evaluations_per_epoch: usize,
    /// Held-out evaluations per epoch of the batch-norm and depth experiments.
    pub close_evaluations: usize,
}

impl Budget {
    /// What the book's figures and numbers come from.
    pub fn full() -> Self {
        Budget {
            train_images: mnist::TRAIN_COUNT,
            test_images: mnist::TEST_COUNT,
            lenet_epochs: 6,
            baseline_epochs: 30,
            gap_epochs: 2,
            depth_images: mnist::TRAIN_COUNT,
            evaluations_per_epoch: 2,
            close_evaluations: 4,
        }
    }

    /// Same code, smaller budget: what the tests run.
    pub fn quick() -> Self {
        Budget {
            train_images: 2000,
            test_images: 500,
            lenet_epochs: 2,
            baseline_epochs: 10,
            gap_epochs: 1,
            depth_images: 1000,
            evaluations_per_epoch: 2,
            close_evaluations: 2,
        }
    }
}

/// A curve and the name it is plotted under.
pub type NamedCurve = (&'static str, Vec<CurvePoint>);

/// Everything the figures and the text need.
pub struct Results {
    pub budget: Budget,
    /// LeNet, MLP, logistic regression.
    pub curves: Vec<NamedCurve>,
    pub lenet: Built<models::LeNet>,
    /// `confusion[t][p]`: test images of class `t` LeNet called `p`.
    pub confusion: [[usize; CLASSES]; CLASSES],
    /// Test images per class.
    pub test_counts: [usize; CLASSES],
    /// Held-out accuracy at shifts of `0..=MAX_SHIFT` pixels (mean over the four
    /// directions), per model.
    pub shift: Vec<(&'static str, Vec<f64>)>,
    /// The first epoch of the GAP CNN without and with batch norm.
    pub batch_norm: [NamedCurve; 2],
    /// The held-out digit whose feature maps the chapter shows.
    pub example: [f32; PIXELS],
    /// One pass of the deep network, plain and with residual blocks, over
    /// [`Budget::depth_images`] images.
    pub residual: [NamedCurve; 2],
}

/// Seeds: the weights of every model, and the order of the training images.
const SEED: u64 = 3;

/// Adam's learning rate for every model but the GAP CNNs.
pub const LEARNING_RATE: f64 = 1e-3;
/// Adam's learning rate for the GAP CNNs, with and without batch norm.
pub const GAP_LEARNING_RATE: f64 = 2e-3;

fn schedule(epochs: usize, learning_rate: f64, evaluations: usize) -> Schedule {
    Schedule {
        epochs,
        evaluations_per_epoch: evaluations,
        learning_rate,
        seed: SEED,
    }
}

/// Builds `M` from [`SEED`] and trains it; prints the wall time (stdout only).
fn fit<M: BuildOnDevice<Dev, f32>>(
    data: (&Labelled, &Labelled),
    schedule: Schedule,
    name: &'static str,
) -> Result<(Built<M>, NamedCurve)>
where
    Built<M>: Classifier,
{
    let dev = Dev::seed_from_u64(SEED);
    dev.enable_cache(); // reuse freed buffers instead of fresh pages
    let mut model = dev.build_module::<M, f32>();
    let started = Instant::now();
    let curve = train::train(&mut model, &dev, data, schedule, name)?;
    let seconds = started.elapsed().as_secs_f64();
    println!("{name}: {} epochs in {seconds:.1} s", schedule.epochs);
    Ok((model, (name, curve)))
}

/// Trainable parameters of `M` (batch norm's running statistics are not trained).
pub fn param_count<M: BuildOnDevice<Dev, f32>>() -> usize
where
    Built<M>: TensorCollection<f32, Dev>,
{
    Dev::default()
        .build_module::<M, f32>()
        .num_trainable_params()
}

/// Held-out accuracy at shifts `0..=MAX_SHIFT`, each the mean over right, left, down, up.
pub fn shift_accuracies<M: Classifier>(model: &M, test: &Labelled) -> Vec<f64> {
    let dev = Dev::default();
    (0..=MAX_SHIFT as isize)
        .map(|d| {
            let directions = [(d, 0), (-d, 0), (0, d), (0, -d)];
            let n = if d == 0 { 1 } else { directions.len() };
            let sum: f64 = directions[..n]
                .iter()
                .map(|&(dx, dy)| accuracy(model, &dev, &shifted(test, dx, dy)))
                .sum();
            sum / n as f64
        })
        .collect()
}

/// Trains every model of the chapter on `budget` and measures them.
pub fn experiments(budget: Budget) -> Result<Results> {
    let data = mnist::load(&mnist::default_dir())?;
    let (train, test) = (
        data.train.prefix(budget.train_images),
        data.test.prefix(budget.test_images),
    );
    let sets = (&train, &test);
    let lenet_schedule = schedule(
        budget.lenet_epochs,
        LEARNING_RATE,
        budget.evaluations_per_epoch,
    );
    let (lenet, lenet_curve) = fit::<models::LeNet>(sets, lenet_schedule, "LeNet")?;
    let baseline = schedule(
        budget.baseline_epochs,
        LEARNING_RATE,
        budget.evaluations_per_epoch,
    );
    let (mlp, mlp_curve) = fit::<models::Mlp>(sets, baseline, "MLP")?;
    let (_, logistic_curve) = fit::<models::Logistic>(sets, baseline, "logistic regression")?;
    let gap_schedule = schedule(
        budget.gap_epochs,
        GAP_LEARNING_RATE,
        budget.close_evaluations,
    );
    let (gap, gap_curve) = fit::<models::GapCnnBn>(sets, gap_schedule, "GAP CNN")?;
    let no_bn_schedule = schedule(1, GAP_LEARNING_RATE, budget.close_evaluations);
    let (_, no_bn_curve) =
        fit::<models::GapCnn>(sets, no_bn_schedule, "GAP CNN without batch norm")?;
    let bn_first_epoch = first_epoch(&gap_curve.1);
    let depth_train = train.prefix(budget.depth_images);
    let depth_sets = (&depth_train, &test);
    let one_pass = schedule(1, LEARNING_RATE, budget.close_evaluations);
    let (_, plain_curve) =
        fit::<models::Deep<models::PlainBlock>>(depth_sets, one_pass, "plain blocks")?;
    let (_, res_curve) =
        fit::<models::Deep<models::ResidualBlock>>(depth_sets, one_pass, "residual blocks")?;
    let dev = Dev::default();
    let predicted = predict(&lenet, &dev, &test.images);
    Ok(Results {
        budget,
        confusion: confusion(&predicted, &test.labels),
        test_counts: test.class_counts(),
        shift: vec![
            ("LeNet", shift_accuracies(&lenet, &test)),
            ("MLP", shift_accuracies(&mlp, &test)),
            ("GAP CNN", shift_accuracies(&gap, &test)),
        ],
        curves: vec![lenet_curve, mlp_curve, logistic_curve],
        lenet,
        batch_norm: [
            ("without batch norm", no_bn_curve.1),
            ("with batch norm", bn_first_epoch),
        ],
        residual: [plain_curve, res_curve],
        example: test.images[0],
    })
}

/// Trains (on the quick budget with `--quick`), writes [`FIGURES`] and the numbers file into
/// `args.out_dir`, and returns the results and the numbers.
pub fn write_chapter(args: &Args) -> Result<(Results, Numbers)> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let results = experiments(budget)?;
    figures::conv_step(&args.figure(FIGURES[0]))?;
    figures::filters(&args.figure(FIGURES[1]), &results.lenet)?;
    figures::feature_maps(
        &args.figure(FIGURES[2]),
        &args.figure(FIGURES[3]),
        &results.lenet,
        &results.example,
    )?;
    figures::training_curves(&args.figure(FIGURES[4]), &results.curves)?;
    figures::confusion(&args.figure(FIGURES[5]), &results.confusion)?;
    figures::shift(&args.figure(FIGURES[6]), &results.shift)?;
    figures::depth(&args.figure(FIGURES[7]), &results)?;
    let numbers = numbers(&results)?;
    numbers.write(&args.out_dir)?;
    Ok((results, numbers))
}

/// The points of `curve` up to the end of the first epoch.
fn first_epoch(curve: &[CurvePoint]) -> Vec<CurvePoint> {
    curve.iter().filter(|p| p.epoch <= 1.0).copied().collect()
}

fn final_accuracy(curve: &[CurvePoint]) -> f64 {
    curve.last().map_or(0.0, |p| p.test_accuracy)
}

/// The numbers the text quotes.
pub fn numbers(results: &Results) -> Result<Numbers> {
    let mut n = Numbers::new();
    let b = &results.budget;
    n.count("train_images", b.train_images);
    n.count("test_images", b.test_images);
    n.count("lenet_epochs", b.lenet_epochs);
    n.count("baseline_epochs", b.baseline_epochs);
    n.count("gap_epochs", b.gap_epochs);
    n.count("depth_images", b.depth_images);
    n.count("batch", train::BATCH);
    let (dense, conv) = exercises::dense_vs_conv_weights();
    n.count("dense_weights", dense);
    n.count("conv1_weights", conv);
    n.count("dense_ratio", dense / conv);
    n.count("lenet_params", param_count::<models::LeNet>());
    n.count("mlp_params", param_count::<models::Mlp>());
    n.count("logistic_params", param_count::<models::Logistic>());
    n.count("gap_params", param_count::<models::GapCnnBn>());
    n.count(
        "deep_params",
        param_count::<models::Deep<models::ResidualBlock>>(),
    );
    for (key, (_, curve)) in ["lenet", "mlp", "logistic"].iter().zip(&results.curves) {
        n.percent(&format!("{key}_accuracy"), final_accuracy(curve), 1);
    }
    let errors: usize = (0..CLASSES)
        .map(|t| results.test_counts[t] - results.confusion[t][t])
        .sum();
    n.count("lenet_errors", errors);
    let (count, truth, guess) = (0..CLASSES)
        .flat_map(|t| (0..CLASSES).map(move |p| (t, p)))
        .filter(|(t, p)| t != p)
        .map(|(t, p)| (results.confusion[t][p], t, p))
        .max_by_key(|&(c, t, p)| (c, std::cmp::Reverse((t, p))))
        .unwrap_or_default();
    n.count("top_confusion_count", count);
    n.count("top_confusion_truth", truth);
    n.count("top_confusion_guess", guess);
    for (key, (_, accuracies)) in ["lenet", "mlp", "gap"].iter().zip(&results.shift) {
        n.percent(&format!("{key}_shift0"), accuracies[0], 1);
        n.percent(&format!("{key}_shift{MAX_SHIFT}"), accuracies[MAX_SHIFT], 1);
    }
    n.percent("gap_epoch1", final_accuracy(&results.batch_norm[0].1), 1);
    n.percent("gap_bn_epoch1", final_accuracy(&results.batch_norm[1].1), 1);
    n.percent("plain_epoch1", final_accuracy(&results.residual[0].1), 1);
    n.percent("residual_epoch1", final_accuracy(&results.residual[1].1), 1);
    Ok(n)
}

/// The chapter binary: trains, writes the figures and the numbers file, prints the numbers.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let (_, numbers) = write_chapter(args)?;
    numbers.print();
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
