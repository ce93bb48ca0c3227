//! The chapter binary's quick run (the figures it writes and the claims on its numbers), and
//! the claims that rest on the full run, checked on its committed numbers.

use ch02_optimization::{write_chapter, FIGURES};
use dudl::numbers::{Numbers, FILE};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// ln 10: the loss of a uniform guess among the ten digits.
const CHANCE: f64 = std::f64::consts::LN_10;

struct QuickRun {
    numbers: Numbers,
    written: BTreeSet<String>,
}

/// Runs `--quick` once (into a temporary directory) for all the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (numbers, written) =
            dudl::cli::quick_run_in_temp_dir("ch02", write_chapter).unwrap();
        QuickRun { numbers, written }
    })
}

/// The quick run's number `key`.
fn quick(key: &str) -> f64 {
    quick_run().numbers.value(key).unwrap()
}

/// Both runs' number `key`: the quick run's and the committed full run's.
fn both(key: &str) -> [f64; 2] {
    let full = Numbers::committed("ch02").unwrap().value(key).unwrap();
    [quick(key), full]
}

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(FILE.to_string());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn thirty_layer_relu_mlp_trains_from_he_and_stays_at_chance_from_dfdx_default()
{
    for (he, default) in both("deep_loss_he")
        .into_iter()
        .zip(both("deep_loss_default"))
    {
        assert!(he < 1.5, "He: loss {he}");
        assert!((default - CHANCE).abs() < 0.05, "default: loss {default}");
    }
}

#[test]
fn cosine_schedule_ends_below_a_constant_learning_rate() {
    for (cosine, constant) in both("schedule_cosine")
        .into_iter()
        .zip(both("schedule_constant"))
    {
        assert!(cosine < constant, "cosine {cosine}, constant {constant}");
    }
}

#[test]
fn warmup_makes_a_learning_rate_usable_that_fails_without_it() {
    for (cold, warm) in both("hot_cosine")
        .into_iter()
        .zip(both("hot_warmup_cosine"))
    {
        assert!((cold - CHANCE).abs() < 0.05, "without warm-up: loss {cold}");
        assert!(warm < 1.0, "with warm-up: loss {warm}");
    }
}

#[test]
fn training_loss_falls_with_width_and_validation_loss_turns_up_at_256() {
    let widths = ch02_optimization::experiments::WIDTHS;
    let at = |what: &str| -> Vec<[f64; 2]> {
        widths
            .iter()
            .map(|w| both(&format!("width_{w}_{what}")))
            .collect()
    };
    let (train, validation) = (at("train_loss"), at("validation_loss"));
    for run in 0..2 {
        let t: Vec<f64> = train.iter().map(|v| v[run]).collect();
        let v: Vec<f64> = validation.iter().map(|v| v[run]).collect();
        assert!(t.windows(2).all(|p| p[1] < p[0]), "training {t:?}");
        assert!(
            v[0] > v[1] && v[1] > v[2] && v[3] > v[2],
            "validation {v:?}"
        );
    }
}

#[test]
fn weight_decay_and_dropout_shrink_the_generalization_gap() {
    let plain = both("plain_gap");
    for regularized in [both("decay_gap"), both("dropout_gap")] {
        for (gap, plain) in regularized.into_iter().zip(plain) {
            assert!(gap < plain, "gap {gap} not below {plain}");
        }
    }
    // The plain network does overfit: it fits the training set and not the validation set.
    for (train, validation) in both("plain_train_loss")
        .into_iter()
        .zip(both("plain_validation_loss"))
    {
        assert!(
            train < 0.01 && validation > 0.2,
            "train {train}, validation {validation}"
        );
    }
}

#[test]
fn early_stopping_picks_the_validation_minimum_before_the_end() {
    for ((best, minimum), (step, end)) in both("plain_best_validation_loss")
        .into_iter()
        .zip(both("plain_min_validation_loss"))
        .zip(
            both("plain_best_step")
                .into_iter()
                .zip(both("plain_validation_loss")),
        )
    {
        assert_eq!(best, minimum);
        assert!(
            step < quick("overfit_steps") && end > 1.1 * best,
            "step {step}, {end} vs {best}"
        );
    }
}

#[test]
fn one_batch_is_overfit_to_a_loss_below_1e_2() {
    let loss = quick("one_batch_loss");
    assert!(loss < 1e-2, "{loss}");
}

#[test]
fn quoted_theory_numbers_match_the_simulation() {
    let numbers = &quick_run().numbers;
    let value = |k: &str| numbers.value(k).unwrap();
    assert_eq!(value("gd_iterations"), value("gd_iterations_theory"));
    assert_eq!(value("hb_iterations"), value("hb_iterations_theory"));
    assert!(
        value("below_limit_error") < 1e-6 && value("above_limit_error") > 1e6
    );
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch02_optimization");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
