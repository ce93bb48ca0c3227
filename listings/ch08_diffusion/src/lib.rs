//! Chapter 8 of *Deep Understanding of Deep Learning*: diffusion models.
//!
//! Noise schedules and the forward process ([`schedule`]), an ε-predicting
//! MLP with a sinusoidal time embedding trained with the simplified loss
//! ([`model`]), ancestral DDPM sampling, DDIM and DDIM inversion
//! ([`sample`]), the sliced Wasserstein distance that scores samples
//! ([`distance`]), and the experiment on two moons ([`experiment`]).

pub mod digits;
pub mod distance;
pub mod exercises;
pub mod experiment;
pub mod figures;
pub mod model;
pub mod sample;
pub mod schedule;

use anyhow::Result;
use dudl::cli::Args;
use dudl::numbers::Numbers;
use experiment::{Budget, Outcome};

/// The figures `cargo run --release -p ch08_diffusion` writes into
/// `images/ch08/`.
pub const FIGURES: &[&str] = &[
    "schedules.svg",
    "forward_2d.svg",
    "reverse_2d.svg",
    "samples.svg",
    "steps.svg",
    "forward_digit.png",
    "digits_pixel.png",
    "digits_latent.png",
    "digit_reverse.png",
];

/// Runs the experiment (on the quick budget with `--quick`), writes [`FIGURES`]
/// into `args.out_dir` and returns what it measured.
pub fn write_chapter(args: &Args) -> Result<Outcome> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let outcome = experiment::run(budget)?;
    figures::schedules(&args.figure(FIGURES[0]))?;
    figures::forward(&args.figure(FIGURES[1]), &outcome)?;
    figures::reverse(&args.figure(FIGURES[2]), &outcome)?;
    figures::samples(&args.figure(FIGURES[3]), &outcome)?;
    figures::steps(&args.figure(FIGURES[4]), &outcome)?;
    figures::forward_digit(&args.figure(FIGURES[5]))?;
    let digits = &outcome.digits;
    figures::digit_samples(&args.figure(FIGURES[6]), &digits.pixel_samples)?;
    figures::digit_samples(&args.figure(FIGURES[7]), &digits.latent_samples)?;
    figures::digit_reverse(&args.figure(FIGURES[8]), &outcome)?;
    Ok(outcome)
}

/// The numbers the text quotes, from one run.
pub fn numbers(outcome: &Outcome) -> Numbers {
    let mut n = Numbers::new();
    let s = &outcome.schedules;
    n.scientific(
        "alpha_bar_t_linear",
        s.linear.alpha_bar(s.linear.steps()),
        1,
    );
    n.scientific(
        "alpha_bar_t_cosine",
        s.cosine.alpha_bar(s.cosine.steps()),
        1,
    );
    n.fixed("alpha_bar_500", s.linear.alpha_bar(500), 2);
    n.fixed("alpha_bar_t_short", s.short.alpha_bar(s.short.steps()), 2);
    n.count("steps_linear", s.linear.steps());
    n.count("steps_short", s.short.steps());
    n.count("train_points", outcome.train.len());
    n.count("test_points", outcome.test.len());
    n.count("train_steps", outcome.budget.train.steps);
    n.fixed("final_loss", outcome.final_loss as f64, 3);
    n.fixed("sw_data", outcome.sw_data, 3);
    n.fixed("sw_gaussian", outcome.sw_gaussian, 3);
    n.fixed("sw_ddpm", outcome.sw_ddpm, 3);
    n.fixed("sw_short", outcome.sw_short, 3);
    n.fixed("ddpm_over_data", outcome.sw_ddpm / outcome.sw_data, 1);
    n.fixed(
        "gaussian_over_ddpm",
        outcome.sw_gaussian / outcome.sw_ddpm,
        0,
    );
    n.fixed("short_over_ddpm", outcome.sw_short / outcome.sw_ddpm, 1);
    // The step counts the text quotes; the figure shows them all.
    for (steps, sw) in &outcome.ddim {
        if [2, 5, 10, 20].contains(steps) {
            n.fixed(&format!("sw_ddim_{steps}"), *sw, 3);
        }
    }
    for (steps, sw) in &outcome.respaced {
        if [10, 20].contains(steps) {
            n.fixed(&format!("sw_respaced_{steps}"), *sw, 3);
        }
    }
    n.count("inversion_steps", experiment::INVERSION_STEPS);
    n.fixed("inversion_error", outcome.inversion_error, 3);
    n.fixed("inversion_max", outcome.inversion_max, 3);
    digit_numbers(&mut n, &outcome.digits);
    n
}

/// The numbers of the digit experiment.
fn digit_numbers(n: &mut Numbers, d: &digits::Outcome) {
    let b = &d.budget;
    n.count("digit_samples", b.samples);
    n.count("digit_sampling_steps", b.sampling_steps);
    n.count("classifier_steps", b.classifier.steps);
    n.count("autoencoder_steps", b.autoencoder.steps);
    n.count("pixel_steps", b.pixel.steps);
    n.count("latent_steps", b.latent.steps);
    n.percent("classifier_accuracy", d.classifier_accuracy, 1);
    n.fixed("pixel_loss", d.pixel_loss as f64, 3);
    n.fixed("latent_loss", d.latent_loss as f64, 3);
    let verdicts = [
        ("real", &d.real),
        ("noise", &d.noise),
        ("pixel", &d.pixel),
        ("latent", &d.latent),
        ("reconstructed", &d.reconstructed),
    ];
    for (name, verdict) in verdicts {
        n.percent(&format!("recognised_{name}"), verdict.recognised, 1);
    }
    // How evenly the two generators cover the ten classes.
    for (name, verdict) in [("pixel", &d.pixel), ("latent", &d.latent)] {
        let rarest = verdict.counts.iter().copied().min().unwrap_or(0);
        n.count(&format!("rarest_class_{name}"), rarest);
    }
    n.fixed(
        "latent_over_pixel",
        d.latent.recognised / d.pixel.recognised,
        1,
    );
    n.fixed("pixel_gmacs", digits::pixel_macs(b) / 1e9, 0);
    n.fixed("latent_gmacs", digits::latent_macs(b) / 1e9, 0);
}

/// The chapter binary: trains, writes the figures and the numbers file, and
/// prints the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let outcome = write_chapter(args)?;
    let numbers = numbers(&outcome);
    numbers.write(&args.out_dir)?;
    numbers.print();
    println!("figures written to {}", args.out_dir.display());
    Ok(())
}
