//! Chapter 5 of *Deep Understanding of Deep Learning*: attention and
//! transformers.
//!
//! Scaled dot-product attention, masks, multi-head attention and a key/value
//! cache from scratch with dfdx ops ([`attention`]), the sinusoidal
//! positional encoding ([`positional`]), transformer blocks
//! ([`transformer`]), and a small encoder–decoder that learns to reverse
//! sequences ([`reversal`], [`train`]) and whose cross-attention shows how.
//! Two ablations train the same code without the causal mask and without
//! positions.

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
use dudl::numbers::Numbers;
use std::time::Instant;
use train::{Budget, CacheComparison, Evaluation, Trained};
use transformer::Design;

/// The figures `cargo run --release -p ch05_attention` writes into
/// `images/ch05/` (beside them, `numbers.json`).
pub const FIGURES: &[&str] = &[
    "attention_heads.svg",
    "positional_encoding.svg",
    "training_curves.svg",
    "causal_mask.svg",
];

/// Seed of the random queries and keys in the √d_k experiment.
pub const SCALING_SEED: u64 = 8;

/// The exact-sequence accuracy whose first step the text quotes.
pub const QUOTED_ACCURACY: f64 = 0.95;

/// Everything one run of the chapter produces.
pub struct Chapter {
    /// The chapter's model, trained on the full (or quick) budget.
    pub trained: Trained,
    /// The same code without the decoder's causal mask.
    pub no_causal_mask: Evaluation,
    /// The same code without positional encodings.
    pub no_positions: Evaluation,
    /// Greedy decoding of the held-out set with and without a cache.
    pub cache: CacheComparison,
    /// The numbers the text quotes, as written to `numbers.json`.
    pub numbers: Numbers,
}

/// Trains the model (on the quick budget with `--quick`) and, on a second
/// thread, the two ablations; writes [`FIGURES`] and `numbers.json` into
/// `args.out_dir`.
pub fn write_chapter(args: &Args) -> Result<Chapter> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let ablations = || -> Result<(Trained, Trained)> {
        Ok((
            train::train(Budget::ablation(Design::NO_CAUSAL_MASK))?,
            train::train(Budget::ablation(Design::NO_POSITIONS))?,
        ))
    };
    let (ablations, trained) =
        dudl::parallel::both(ablations, || train::train(budget));
    let (no_causal_mask, no_positions) =
        ablations.context("training the ablations")?;
    let trained = trained?;
    let cache = train::compare_decoders(&trained.model, &trained.held_out)?;
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
    let mut chapter = Chapter {
        trained,
        no_causal_mask: no_causal_mask.evaluation,
        no_positions: no_positions.evaluation,
        cache,
        numbers: Numbers::new(),
    };
    chapter.numbers = numbers(&chapter)?;
    chapter.numbers.write(&args.out_dir)?;
    Ok(chapter)
}

/// The numbers the text quotes, recorded from `chapter`.
fn numbers(chapter: &Chapter) -> Result<Numbers> {
    let mut numbers = Numbers::new();
    let trained = &chapter.trained;
    let evaluation = &trained.evaluation;
    let steps = trained.curve.last().map_or(0, |p| p.step);
    numbers.count("steps", steps);
    numbers.count("held_out", trained.held_out.len());
    numbers.count("quick_steps", Budget::quick().steps);
    numbers.count("quick_held_out", Budget::quick().held_out);
    numbers.count("ablation_steps", train::ABLATION_STEPS);
    numbers.percent("sequence_accuracy", evaluation.sequence_accuracy, 1);
    numbers.percent("token_accuracy", evaluation.token_accuracy, 2);
    numbers.fixed("teacher_forced_loss", evaluation.teacher_forced_loss, 4);
    for (h, share) in evaluation.alignment.iter().enumerate() {
        numbers.percent(&format!("head{}_alignment", h + 1), *share, 1);
    }
    let (best, share) = evaluation.best_head();
    numbers.count("best_head", best + 1);
    numbers.percent("best_head_alignment", share, 1);
    let first_good = trained
        .curve
        .iter()
        .find(|p| p.evaluation.sequence_accuracy >= QUOTED_ACCURACY)
        .context("the model never reached 95% exact sequences")?;
    numbers.count("first_step_at_95", first_good.step);
    let first = trained.curve.first().context("no evaluation recorded")?;
    numbers.count("first_evaluation_step", first.step);
    numbers.fixed("first_loss", first.loss, 2);
    let first_exact = first.evaluation.sequence_accuracy;
    numbers.percent("first_sequence_accuracy", first_exact, 1);
    numbers.percent("first_best_alignment", first.evaluation.best_head().1, 1);
    let unscaled = scaling::random_scores::<64>(false, SCALING_SEED);
    let scaled = scaling::random_scores::<64>(true, SCALING_SEED);
    numbers.fixed("variance_unscaled", scaling::variance(&unscaled), 1);
    numbers.fixed("variance_scaled", scaling::variance(&scaled), 2);
    let entropy =
        |scaled| exercises::attention_entropy::<64>(scaled, SCALING_SEED);
    numbers.fixed("entropy_scaled", entropy(true), 2);
    numbers.fixed("entropy_unscaled", entropy(false), 2);
    for (name, ablation) in [
        ("no_mask", &chapter.no_causal_mask),
        ("no_positions", &chapter.no_positions),
    ] {
        let key = |what: &str| format!("{name}_{what}");
        numbers.fixed(
            &key("teacher_forced_loss"),
            ablation.teacher_forced_loss,
            4,
        );
        numbers.percent(
            &key("sequence_accuracy"),
            ablation.sequence_accuracy,
            1,
        );
        numbers.percent(&key("token_accuracy"), ablation.token_accuracy, 1);
        numbers.percent(&key("best_head_alignment"), ablation.best_head().1, 1);
    }
    let blind = reversal::order_blind_accuracy(&trained.held_out);
    numbers.percent("order_blind_accuracy", blind, 1);
    let cache = &chapter.cache;
    numbers.count("cache_sequences", cache.sequences);
    numbers.count("cache_same_outputs", cache.same_outputs);
    let difference = f64::from(cache.largest_logit_difference);
    numbers.scientific("cache_logit_difference", difference, 1);
    numbers.count("scores_without_cache", cache.scores_per_sequence.0);
    numbers.count("scores_with_cache", cache.scores_per_sequence.1);
    numbers.count("positions_without_cache", cache.positions_per_sequence.0);
    numbers.count("positions_with_cache", cache.positions_per_sequence.1);
    Ok(numbers)
}

/// The chapter binary: trains, writes the figures and the numbers file, and
/// prints the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let chapter = write_chapter(args)?;
    println!("numbers the text quotes:");
    chapter.numbers.print();
    println!("figures and numbers written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
