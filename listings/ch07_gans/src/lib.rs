//! Chapter 7 of *Deep Understanding of Deep Learning*: generative
//! adversarial networks.
//!
//! The generator losses ([`game`]), the optimal discriminator and the
//! Jensen–Shannon divergence on 1-D Gaussians ([`optimal`]), the Dirac-GAN
//! and the R1 penalty ([`dirac`]).

pub mod digits;
pub mod dirac;
pub mod exercises;
pub mod figures;
pub mod game;
pub mod optimal;
pub mod ring;

use anyhow::Result;
use dudl::cli::Args;
use dudl::numbers::Numbers;

/// The figures `cargo run --release -p ch07_gans` writes into `images/ch07/`.
pub const FIGURES: &[&str] = &[
    "generator_gradients.svg",
    "optimal_discriminator.svg",
    "dirac_gan.svg",
    "ring_snapshots.svg",
    "digit_samples.png",
    "digit_losses.svg",
];

/// Digit GAN steps (quick, full), its learning rate, classifier epochs.
pub const DIGIT_STEPS: (usize, usize) = (300, 2000);
pub const DIGIT_LR: f64 = 5e-4;
pub const CLASSIFIER_EPOCHS: usize = 8;
pub const DIGIT_SEED: u64 = 5;

/// What the digits experiment gives: the GAN run, the classifier's test
/// accuracy, and how it labels real test images and the GAN's samples.
pub struct DigitsResult {
    pub run: digits::DigitRun,
    pub classifier_accuracy: f64,
    pub real: digits::Labelling,
    pub fake: digits::Labelling,
}

/// Trains the classifier and the digit GAN and labels the samples.
pub fn digits_experiment(steps: usize) -> Result<DigitsResult> {
    let data = dudl::data::mnist::load(&dudl::data::mnist::default_dir())?;
    let classifier =
        digits::train_classifier(&data.train, CLASSIFIER_EPOCHS, DIGIT_SEED);
    let test: Vec<Vec<f32>> = data
        .test
        .images
        .iter()
        .map(|image| image.to_vec())
        .collect();
    let probs = digits::classify(&classifier, &test);
    let correct = probs
        .iter()
        .zip(&data.test.labels)
        .filter(|(p, &label)| digits::top_class(p) == label)
        .count();
    let run = digits::train_gan(&data.train, steps, DIGIT_LR, DIGIT_SEED);
    let fake = digits::labelling(&digits::classify(&classifier, &run.samples));
    Ok(DigitsResult {
        classifier_accuracy: correct as f64 / test.len() as f64,
        real: digits::labelling(&probs),
        fake,
        run,
    })
}

/// Ring training steps (quick, full) and the seed of both ring runs.
pub const RING_STEPS: (usize, usize) = (500, 2000);
pub const RING_SEED: u64 = 1;

/// The vanilla GAN (packs of 1) and PacGAN (packs of 4) on the ring,
/// trained on two threads.
pub fn ring_runs(steps: usize) -> (ring::RingRun, ring::RingRun) {
    let every = steps / 2;
    std::thread::scope(|s| {
        let vanilla = s.spawn(|| {
            ring::train::<1, 2, { ring::BATCH }>(steps, every, RING_SEED)
        });
        let packed =
            ring::train::<4, 8, { ring::BATCH / 4 }>(steps, every, RING_SEED);
        (
            vanilla.join().expect("the vanilla ring run panicked"),
            packed,
        )
    })
}

/// Seed of the 1-D samples.
pub const SEED: u64 = 7;

/// Samples of each distribution and gradient steps for the 1-D
/// discriminator: cheap, so the quick run uses them too.
pub const D_BUDGET: (usize, usize) = (8000, 2000);

/// Plays the chapter's games, writes [`FIGURES`] and returns the numbers.
pub fn write_chapter(args: &Args) -> Result<Numbers> {
    let digit_steps = if args.quick {
        DIGIT_STEPS.0
    } else {
        DIGIT_STEPS.1
    };
    // The digit GAN trains on its own thread while the games run.
    let (numbers, digits) = std::thread::scope(|scope| {
        let digits = scope.spawn(|| digits_experiment(digit_steps));
        let numbers = games(args);
        let digits = digits.join().expect("the digits experiment panicked");
        (numbers, digits)
    });
    let (mut numbers, digits) = (numbers?, digits?);
    figures::digit_samples(&args.figure(FIGURES[4]), &digits.run)?;
    figures::digit_losses(&args.figure(FIGURES[5]), &digits.run)?;
    numbers.count("digit_steps", digit_steps);
    numbers.count("digit_samples", digits::SAMPLES);
    numbers.count("classifier_epochs", CLASSIFIER_EPOCHS);
    numbers.percent("classifier_accuracy", digits.classifier_accuracy, 1);
    numbers.percent("real_confident", digits.real.confident, 1);
    numbers.percent("fake_confident", digits.fake.confident, 1);
    numbers.count("fake_classes", digits.fake.classes_present());
    let rarest = digits.fake.per_class.iter().min().copied().unwrap_or(0);
    numbers.count("fake_rarest_class", rarest);
    numbers.write(&args.out_dir)?;
    Ok(numbers)
}

/// The 1-D games, the Dirac-GAN and the ring: their figures and numbers.
fn games(args: &Args) -> Result<Numbers> {
    let mut numbers = Numbers::new();
    figures::generator_gradients(&args.figure(FIGURES[0]))?;
    let (n, steps) = D_BUDGET;
    let trained = optimal::train_discriminator(n, steps, SEED);
    figures::optimal_discriminator(&args.figure(FIGURES[1]), &trained.d)?;
    let plain =
        dirac::simultaneous(dirac::START, dirac::STEP, 0.0, dirac::STEPS);
    let r1 = dirac::simultaneous(
        dirac::START,
        dirac::STEP,
        dirac::GAMMA,
        dirac::STEPS,
    );
    figures::dirac_gan(&args.figure(FIGURES[2]), &plain, &r1)?;
    let ring_steps = if args.quick {
        RING_STEPS.0
    } else {
        RING_STEPS.1
    };
    let (vanilla, packed) = ring_runs(ring_steps);
    figures::ring_snapshots(&args.figure(FIGURES[3]), &vanilla, &packed)?;

    numbers.count("d_samples", n);
    numbers.count("d_steps", steps);
    numbers.fixed("d_gap", optimal::max_gap_to_optimal(&trained.d), 3);
    let (data, fake) = (optimal::DATA, optimal::GENERATOR);
    let jsd = optimal::jensen_shannon(data, fake);
    numbers.fixed("jsd", jsd, 4);
    let v_star =
        optimal::value(data, fake, |x| optimal::optimal_logit(data, fake, x));
    numbers.fixed("value_optimal", v_star, 4);
    numbers.fixed(
        "value_trained",
        optimal::value(data, fake, |x| trained.d.logit(x)),
        4,
    );
    numbers.fixed("ns_ratio_at_minus5", (5.0f64).exp(), 1);
    let end = |path: &[dirac::Point]| dirac::distance(path[path.len() - 1]);
    numbers.fixed("dirac_start", dirac::distance(dirac::START), 3);
    numbers.fixed("dirac_plain_end", end(&plain), 2);
    numbers.scientific("dirac_r1_end", end(&r1), 1);
    numbers.count("dirac_steps", dirac::STEPS);
    numbers.count("ring_steps", ring_steps);
    for (name, run) in [("vanilla", &vanilla), ("pac", &packed)] {
        let c = &run.coverage;
        numbers.count(&format!("ring_{name}_modes"), c.modes_covered());
        numbers.percent(&format!("ring_{name}_near"), c.near_a_mode(), 1);
    }
    numbers.count("ring_eval", ring::EVAL);
    Ok(numbers)
}

/// The chapter binary: writes the figures and prints the numbers.
pub fn run(args: &Args) -> Result<()> {
    let numbers = write_chapter(args)?;
    numbers.print();
    println!("figures written to {}", args.out_dir.display());
    Ok(())
}
