//! Chapter 5 of *Deep Understanding of Deep Learning*: attention and transformers.
//!
//! Scaled dot-product attention, masks and multi-head attention from scratch with dfdx ops
//! ([`attention`]), the sinusoidal positional encoding ([`positional`]), a transformer block
//! ([`transformer`]), and a small model that learns to reverse sequences ([`reversal`],
//! [`train`]) and whose attention shows how.

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

/// Seed of the random queries and keys in the causal-mask figure.
pub const CAUSAL_SEED: u64 = 7;

/// Trains the reverser (on the quick budget with `--quick`), writes [`FIGURES`] into
/// `args.out_dir` and returns the trained model with its numbers.
pub fn write_chapter(args: &Args) -> Result<Trained> {
    let budget = if args.quick { Budget::quick() } else { Budget::full() };
    let trained = train::train(budget)?;
    let example = trained.held_out.first().context("the held-out set is empty")?;
    let dev = trained.model.readout.weight.device().clone();
    figures::attention_heads(&args.figure(FIGURES[0]), &trained.model, example, &trained.evaluation)?;
    figures::positional_encoding(&args.figure(FIGURES[1]), &dev)?;
    figures::training_curves(&args.figure(FIGURES[2]), &trained.curve)?;
    figures::causal(&args.figure(FIGURES[3]), CAUSAL_SEED)?;
    Ok(trained)
}

/// The chapter binary: trains, writes the figures and prints the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let trained = write_chapter(args)?;
    let evaluation = &trained.evaluation;
    let steps = trained.curve.last().map_or(0, |p| p.step);
    println!("held-out sequences:            {}", trained.held_out.len());
    println!("training steps:                {steps} (batch {})", train::BATCH);
    println!("exact-sequence accuracy:       {:.1}%", 100.0 * evaluation.sequence_accuracy);
    println!("token accuracy:                {:.2}%", 100.0 * evaluation.token_accuracy);
    for (h, share) in evaluation.alignment.iter().enumerate() {
        println!("head {} alignment (argmax on T-1-i): {:.1}%", h + 1, 100.0 * share);
    }
    let (best, share) = evaluation.best_head();
    println!("best head:                     {} ({:.1}%)", best + 1, 100.0 * share);
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
