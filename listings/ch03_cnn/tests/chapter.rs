//! The chapter binary's runs: what the quick run writes, and the claims the text makes about
//! the full run, checked against the numbers it committed (`images/ch03/numbers.json`, which
//! `scripts/reproduce.sh` regenerates and compares).

use ch03_cnn::{write_chapter, Budget, NamedCurve, FIGURES};
use dudl::data::mnist::CLASSES;
use dudl::numbers::Numbers;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// What the tests need of the quick run: plain data, no model, so that it can
/// be shared between test threads on any device.
struct QuickRun {
    budget: Budget,
    curves: Vec<NamedCurve>,
    confusion: [[usize; CLASSES]; CLASSES],
    test_counts: [usize; CLASSES],
    written: BTreeSet<String>,
}

/// Runs `--quick` once (into a temporary directory) for the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let ((results, _), written) =
            dudl::cli::quick_run_in_temp_dir("ch03", write_chapter).unwrap();
        QuickRun {
            budget: results.budget,
            curves: results.curves,
            confusion: results.confusion,
            test_counts: results.test_counts,
            written,
        }
    })
}

fn committed(key: &str) -> f64 {
    Numbers::committed("ch03").unwrap().value(key).unwrap()
}

#[test]
fn quick_run_writes_exactly_the_declared_figures_and_the_numbers() {
    let mut declared: BTreeSet<String> = FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(dudl::numbers::FILE.to_string());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn confusion_matrix_rows_sum_to_the_class_counts() {
    let results = quick_run();
    for (t, row) in results.confusion.iter().enumerate() {
        assert_eq!(
            row.iter().sum::<usize>(),
            results.test_counts[t],
            "class {t}"
        );
    }
    let total: usize = results.test_counts.iter().sum();
    assert_eq!(total, results.budget.test_images);
}

#[test]
fn quick_lenet_learns_well_above_chance() {
    let (_, curve) = &quick_run().curves[0];
    let last = curve.last().unwrap().test_accuracy;
    assert!(last >= 0.80, "LeNet after the quick budget: {last}");
}

#[test]
fn lenet_reaches_97_percent_and_beats_mlp_and_logistic_regression() {
    let lenet = committed("lenet_accuracy");
    assert!(lenet >= 0.97, "LeNet {lenet}");
    assert!(lenet > committed("mlp_accuracy"));
    assert!(lenet > committed("logistic_accuracy"));
}

#[test]
fn under_4px_shifts_the_gap_cnn_keeps_its_accuracy_where_the_mlp_collapses() {
    // Calibrated on the full run: the GAP CNN loses at most 5 points at ±4 px, the MLP
    // falls below 40% and LeNet (flatten head) below 60%.
    let gap_drop = committed("gap_shift0") - committed("gap_shift4");
    assert!(gap_drop <= 0.05, "GAP CNN loses {gap_drop}");
    assert!(committed("mlp_shift4") < 0.40);
    assert!(committed("lenet_shift4") < 0.60);
    assert!(committed("gap_shift4") > committed("lenet_shift4") + 0.2);
}

#[test]
fn batch_norm_raises_accuracy_after_one_epoch() {
    assert!(committed("gap_bn_epoch1") > committed("gap_epoch1") + 0.1);
}

#[test]
fn residual_blocks_train_faster_than_plain_blocks() {
    assert!(committed("residual_epoch1") > committed("plain_epoch1") + 0.1);
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch03_cnn");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
