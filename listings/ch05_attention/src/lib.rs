//! Chapter 5 of *Deep Understanding of Deep Learning*: attention and transformers.
//!
//! Scaled dot-product attention, masks and multi-head attention from scratch with dfdx ops
//! ([`attention`]), the sinusoidal positional encoding ([`positional`]), a transformer block
//! ([`transformer`]), and a small encoder–decoder that learns to reverse sequences
//! ([`reversal`], [`train`]) and whose cross-attention shows how.

pub mod attention;
pub mod exercises;
pub mod figures;
pub mod positional;
pub mod reversal;
pub mod scaling;
pub mod train;
pub mod transformer;

use anyhow::{Context, Result};
use dudl::cli::Args;
use std::time::Instant;
use train::{Budget, Trained};

/// The figures `cargo run --release -p ch05_attention` writes into `images/ch05/`.
pub const FIGURES: &[&str] = &[
    "attention_heads.svg",
    "positional_encoding.svg",
    "training_curves.svg",
    "causal_mask.svg",
];

/// Seed of the random queries and keys in the √d_k experiment.
pub const SCALING_SEED: u64 = 8;

/// Trains the encoder–decoder (on the quick budget with `--quick`), writes [`FIGURES`] into
/// `args.out_dir` and returns the trained model with its numbers.
pub fn write_chapter(args: &Args) -> Result<Trained> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let trained = train::train(budget)?;
    let example = trained
        .held_out
        .first()
        .context("the held-out set is empty")?;
    let dev = trained.model.readout.weight.device().clone();
    figures::attention_heads(
        &args.figure(FIGURES[0]),
        &trained.model,
        example,
        &trained.evaluation,
    )?;
    figures::positional_encoding(&args.figure(FIGURES[1]), &dev)?;
    figures::training_curves(&args.figure(FIGURES[2]), &trained.curve)?;
    figures::causal(&args.figure(FIGURES[3]), &trained.model, example)?;
    Ok(trained)
}

/// The chapter binary: trains, writes the figures and prints the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let trained = write_chapter(args)?;
    let evaluation = &trained.evaluation;
    let steps = trained.curve.last().map_or(0, |p| p.step);
    println!("held-out sequences:            {}", trained.held_out.len());
    println!(
        "training steps:                {steps} (batch {})",
        train::BATCH
    );
    println!(
        "exact-sequence accuracy:       {:.1}%",
        100.0 * evaluation.sequence_accuracy
    );
    println!(
        "token accuracy:                {:.2}%",
        100.0 * evaluation.token_accuracy
    );
    for (h, share) in evaluation.alignment.iter().enumerate() {
        println!(
            "cross-attention head {} alignment (argmax on T-1-i): {:.1}%",
            h + 1,
            100.0 * share
        );
    }
    let first = trained
        .curve
        .iter()
        .find(|p| p.evaluation.sequence_accuracy >= 0.95);
    if let Some(point) = first {
        println!(
            "first evaluation with >= 95% exact sequences: step {}",
            point.step
        );
    }
    let (best, share) = evaluation.best_head();
    println!(
        "best head:                     {} ({:.1}%)",
        best + 1,
        100.0 * share
    );
    let (unscaled, scaled) = (
        scaling::variance(&scaling::random_scores::<64>(false, SCALING_SEED)),
        scaling::variance(&scaling::random_scores::<64>(true, SCALING_SEED)),
    );
    println!(
        "score variance at d_k = 64:    {unscaled:.1} unscaled, {scaled:.2} scaled by 1/sqrt(d_k)"
    );
    let (entropy_scaled, entropy_unscaled) = (
        exercises::attention_entropy::<64>(true, SCALING_SEED),
        exercises::attention_entropy::<64>(false, SCALING_SEED),
    );
    println!("softmax entropy at d_k = 64:   {entropy_scaled:.2} nats scaled, {entropy_unscaled:.2} unscaled (uniform: ln 10 = 2.30)");
    if let Some(first) = trained.curve.first() {
        println!(
            "first evaluation (step {}):    loss {:.2}, exact {:.1}%, best-head alignment {:.1}%",
            first.step,
            first.loss,
            100.0 * first.evaluation.sequence_accuracy,
            100.0 * first.evaluation.best_head().1
        );
    }
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
