//! The chapter's run: the figures it writes and the claims the text makes,
//! on the quick budget and on the committed full run.

use ch08_diffusion::experiment::DDIM_SHOWN;
use ch08_diffusion::{numbers, write_chapter, FIGURES};
use dudl::numbers::Numbers;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The text's thresholds.
const WITHIN_DATA: f64 = 1.5;
const BELOW_GAUSSIAN: f64 = 5.0;
const SHORT_WORSE: f64 = 3.0;
const DDIM_WITHIN_DATA: f64 = 1.5;
const INVERSION_ERROR: f64 = 0.1;

struct QuickRun {
    numbers: Numbers,
    written: BTreeSet<String>,
}

/// Runs `--quick` once (into a temporary directory) for all the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (outcome, written) =
            dudl::cli::quick_run_in_temp_dir("ch08", |args| {
                let outcome = write_chapter(args)?;
                numbers(&outcome).write(&args.out_dir)?;
                Ok(outcome)
            })
            .unwrap();
        let numbers = numbers(&outcome);
        QuickRun { numbers, written }
    })
}

/// Both runs: the quick one and the committed full one.
fn runs() -> Vec<(&'static str, Numbers)> {
    vec![
        ("quick", quick_run().numbers.clone()),
        ("full", Numbers::committed("ch08").unwrap()),
    ]
}

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert("numbers.json".into());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn ddpm_samples_are_within_1_5x_the_data_distance_and_5x_below_gaussian() {
    for (run, n) in runs() {
        let (ddpm, data) =
            (n.value("sw_ddpm").unwrap(), n.value("sw_data").unwrap());
        let gaussian = n.value("sw_gaussian").unwrap();
        assert!(ddpm < WITHIN_DATA * data, "{run}: {ddpm} vs data {data}");
        assert!(
            gaussian > BELOW_GAUSSIAN * ddpm,
            "{run}: {gaussian} vs {ddpm}"
        );
    }
}

#[test]
fn short_linear_schedule_samples_3x_worse_than_the_full_schedule() {
    for (run, n) in runs() {
        let (ddpm, short) =
            (n.value("sw_ddpm").unwrap(), n.value("sw_short").unwrap());
        assert!(short > SHORT_WORSE * ddpm, "{run}: {short} vs {ddpm}");
    }
}

#[test]
fn ddim_with_20_steps_is_as_close_to_the_data_as_ddpm_with_1000() {
    for (run, n) in runs() {
        let data = n.value("sw_data").unwrap();
        let ddim = n.value(&format!("sw_ddim_{DDIM_SHOWN}")).unwrap();
        assert!(ddim < DDIM_WITHIN_DATA * data, "{run}: {ddim} vs {data}");
        // Two steps are not enough: the claim is about few, not any.
        let two = n.value("sw_ddim_2").unwrap();
        assert!(two > 3.0 * data, "{run}: {two} vs {data}");
    }
}

#[test]
fn ddim_inversion_reconstructs_held_out_points_within_0_1() {
    for (run, n) in runs() {
        let error = n.value("inversion_error").unwrap();
        assert!(error < INVERSION_ERROR, "{run}: mean error {error}");
    }
}

#[test]
fn deterministic_ddim_beats_respaced_ddpm_at_10_steps() {
    for (run, n) in runs() {
        let ddim = n.value("sw_ddim_10").unwrap();
        let ddpm = n.value("sw_respaced_10").unwrap();
        assert!(ddim < ddpm, "{run}: DDIM {ddim} vs respaced DDPM {ddpm}");
    }
}
