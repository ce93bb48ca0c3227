//! The chapter binary's quick run: the figures it writes and the numbers the text quotes.

use ch05_attention::train::{CurvePoint, Evaluation};
use ch05_attention::{write_chapter, FIGURES};
use dudl::cli::Args;
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::OnceLock;

/// The text's thresholds: what the quick budget (400 steps) must reach on held-out sequences.
const SEQUENCE_ACCURACY: f64 = 0.95;
const BEST_HEAD_ALIGNMENT: f64 = 0.95;

struct QuickRun {
    evaluation: Evaluation,
    curve: Vec<CurvePoint>,
    written: BTreeSet<String>,
}

/// Runs `--quick` once (into a temporary directory) for all the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let out_dir = std::env::temp_dir().join(format!("ch05-quick-{}", std::process::id()));
        std::fs::create_dir_all(&out_dir).unwrap();
        let trained = write_chapter(&Args {
            quick: true,
            out_dir: out_dir.clone(),
        })
        .unwrap();
        let written = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&out_dir).unwrap();
        QuickRun {
            evaluation: trained.evaluation,
            curve: trained.curve,
            written,
        }
    })
}

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let declared: BTreeSet<String> = FIGURES.iter().map(|f| f.to_string()).collect();
    assert_eq!(quick_run().written, declared);
}

#[test]
fn transformer_reverses_at_least_95_percent_of_held_out_sequences() {
    let evaluation = &quick_run().evaluation;
    assert!(
        evaluation.sequence_accuracy >= SEQUENCE_ACCURACY,
        "exact-sequence accuracy {:.3} < {SEQUENCE_ACCURACY}",
        evaluation.sequence_accuracy
    );
}

#[test]
fn best_head_attends_from_output_i_to_input_t_minus_1_minus_i_at_least_95_percent() {
    let (head, alignment) = quick_run().evaluation.best_head();
    assert!(
        alignment >= BEST_HEAD_ALIGNMENT,
        "best head {} aligns {alignment:.3} < {BEST_HEAD_ALIGNMENT}",
        head + 1
    );
}

#[test]
fn training_starts_at_chance_loss_ln_10_with_no_sequence_right() {
    let first = &quick_run().curve[0];
    assert!(
        (first.loss - 10f64.ln()).abs() < 0.15,
        "loss {} at step {}",
        first.loss,
        first.step
    );
    assert!(
        first.evaluation.sequence_accuracy < 0.05,
        "{:?}",
        first.evaluation
    );
    assert!(
        first.evaluation.best_head().1 < 0.5,
        "{:?}",
        first.evaluation
    );
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let output = Command::new(env!("CARGO_BIN_EXE_ch05_attention"))
        .arg("--fast")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error:") && stderr.contains("--fast"),
        "{stderr}"
    );
}
