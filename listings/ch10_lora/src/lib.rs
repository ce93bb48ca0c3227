//! Chapter 10 of *Deep Understanding of Deep Learning*: LoRA,
//! parameter-efficient fine-tuning.
//!
//! A frozen linear layer and the LoRA layer on top of it ([`lora`]); a planted
//! low-rank problem that measures LoRA against the Eckart–Young bound
//! ([`planted`]); and a real adaptation, digits 0–4 to 5–9, comparing head-only
//! tuning, LoRA and full fine-tuning ([`adapt`]).

pub mod adapt;
pub mod exercises;
pub mod figures;
pub mod lora;
pub mod planted;

use adapt::{Adaptation, Method, Schedule};
use anyhow::Result;
use dudl::cli::Args;
use dudl::numbers::Numbers;
use planted::Fit;
use std::time::Instant;

/// The device of this chapter: the CPU, also with `--features cuda`. Its networks
/// are tiny and train many at a time on separate threads, and a CUDA device cannot
/// be shared between threads.
pub type Dev = dfdx::tensor::Cpu;

/// The figures `cargo run --release -p ch10_lora` writes into `images/ch10/`.
pub const FIGURES: &[&str] = &[
    "planted_rank.svg",
    "accuracy_vs_parameters.svg",
    "update_spectrum.svg",
];

/// The rank whose accuracy and parameter share the text quotes.
pub const NAMED_RANK: usize = 4;

/// Seed of the planted problem and of its adapters.
pub const PLANTED_SEED: u64 = 1;

/// What the chapter trains: the full run or the tests' quick one.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub planted: planted::Budget,
    pub adaptation: adapt::Budget,
}

impl Budget {
    /// What the book's figures and numbers come from.
    pub fn full() -> Self {
        Budget {
            planted: planted::Budget {
                steps: 2000,
                learning_rate: 1e-2,
                seed: PLANTED_SEED,
            },
            adaptation: adapt::Budget {
                pretrain: Schedule {
                    steps: 600,
                    learning_rate: 1e-3,
                },
                steps: 1000,
                learning_rates: vec![1e-3, 3e-3, 1e-2],
                seeds: vec![1, 2, 3],
            },
        }
    }

    /// Same code, smaller budget: what the tests run.
    pub fn quick() -> Self {
        Budget {
            planted: planted::Budget {
                steps: 300,
                ..Budget::full().planted
            },
            adaptation: adapt::Budget {
                pretrain: Schedule {
                    steps: 200,
                    learning_rate: 1e-3,
                },
                steps: 150,
                learning_rates: vec![3e-3],
                seeds: vec![1],
            },
        }
    }
}

/// Everything the chapter measured.
pub struct Chapter {
    pub fits: Vec<Fit>,
    pub adaptation: Adaptation,
    pub numbers: Numbers,
}

/// Runs both experiments (on the quick budget with `--quick`), writes
/// [`FIGURES`] and the numbers file into `args.out_dir`.
pub fn write_chapter(args: &Args) -> Result<Chapter> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let planted = planted::plant(PLANTED_SEED)?;
    let fits = planted::fit_all_ranks(&planted, budget.planted)?;
    let adaptation = adapt::run_experiment(&budget.adaptation)?;
    figures::planted_rank(&args.figure(FIGURES[0]), &fits)?;
    figures::accuracy_vs_parameters(&args.figure(FIGURES[1]), &adaptation)?;
    figures::update_spectrum(&args.figure(FIGURES[2]), &fits, &adaptation)?;
    let numbers = numbers(&fits, &adaptation)?;
    numbers.write(&args.out_dir)?;
    Ok(Chapter {
        fits,
        adaptation,
        numbers,
    })
}

/// The numbers the text quotes.
fn numbers(fits: &[Fit], adaptation: &Adaptation) -> Result<Numbers> {
    let mut n = Numbers::new();
    for fit in fits.iter().filter(|f| f.rank < planted::K) {
        let r = fit.rank;
        n.fixed(&format!("planted_loss_r{r}"), fit.loss, 4);
        n.fixed(&format!("planted_bound_r{r}"), fit.eckart_young, 0);
        let gap = (fit.loss - fit.eckart_young) / fit.eckart_young;
        n.scientific(&format!("planted_gap_r{r}"), gap, 1);
    }
    let at_or_above_k = fits.iter().filter(|f| f.rank >= planted::K);
    let worst = at_or_above_k.clone().map(|f| f.loss).fold(0.0, f64::max);
    n.scientific("planted_loss_max_at_k", worst, 0);
    let extra = at_or_above_k
        .filter_map(|f| f.learned.get(planted::K))
        .fold(0.0, |m: f64, &s| m.max(s));
    n.scientific("planted_extra_sigma_max", extra, 0);
    n.fixed(
        "planted_energy",
        dudl::linalg::tail_energy(&planted::PLANTED, 0),
        0,
    );
    n.count("digits_train", adaptation.target.train.len());
    n.count("digits_validation", adaptation.target.validation.len());
    n.count("digits_test", adaptation.target.test.len());
    n.count("pretrain_train", adaptation.source.train.len());
    let pretrained = &adaptation.pretrained_accuracy;
    let worst = pretrained.iter().copied().fold(1.0, f64::min);
    n.percent("pretrained_accuracy_min", worst, 1);
    n.count("seeds", pretrained.len());
    for c in &adaptation.comparisons {
        let key = match c.method {
            Method::HeadOnly => "head".to_string(),
            Method::Lora(r) => format!("lora{r}"),
            Method::Full => "full".to_string(),
        };
        n.percent(&format!("{key}_accuracy"), c.mean(), 1);
        n.count(&format!("{key}_params"), c.trainable);
        n.scientific(&format!("{key}_lr"), c.learning_rate, 0);
    }
    let full = adaptation.of(Method::Full)?;
    let named = adaptation.of(Method::Lora(NAMED_RANK))?;
    n.percent("named_accuracy_share", named.mean() / full.mean(), 1);
    n.percent(
        "named_param_share",
        named.trainable as f64 / full.trainable as f64,
        1,
    );
    let update = full.updates.first().map(Vec::as_slice).unwrap_or(&[]);
    let values =
        dudl::linalg::svd(update, adapt::HIDDEN, adapt::HIDDEN)?.values;
    let total = dudl::linalg::tail_energy(&values, 0);
    let top = |k: usize| 1.0 - dudl::linalg::tail_energy(&values, k) / total;
    n.percent("full_update_energy_top8", top(8), 1);
    n.percent("full_update_energy_top1", top(1), 1);
    Ok(n)
}

/// The chapter binary: trains, writes the figures and prints the numbers the
/// text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let chapter = write_chapter(args)?;
    println!(
        "numbers ({}):",
        args.out_dir.join(dudl::numbers::FILE).display()
    );
    chapter.numbers.print();
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
