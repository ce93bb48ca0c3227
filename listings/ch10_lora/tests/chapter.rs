//! The chapter binary: the figures it writes, and the adaptation claims the
//! text makes about the full run (checked on the committed numbers, which
//! `scripts/reproduce.sh` checks are the run's).

use ch10_lora::adapt::Method;
use ch10_lora::{write_chapter, FIGURES, NAMED_RANK};
use dudl::numbers::Numbers;
use std::collections::BTreeSet;

/// The text's thresholds for LoRA at [`NAMED_RANK`] against full fine-tuning.
const ACCURACY_SHARE: f64 = 0.98;
const PARAMETER_SHARE: f64 = 0.10;

fn committed() -> Numbers {
    Numbers::committed("ch10").unwrap()
}

#[test]
fn quick_run_writes_exactly_the_declared_figures_and_numbers() {
    let (chapter, written) =
        dudl::cli::quick_run_in_temp_dir("ch10", write_chapter).unwrap();
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(dudl::numbers::FILE.to_string());
    assert_eq!(written, declared);
    let committed = committed();
    for key in chapter.numbers.keys() {
        assert!(committed.get(key).is_ok(), "{key} is not committed");
    }
    assert_eq!(chapter.adaptation.comparisons.len(), Method::all().len());
}

#[test]
fn lora_rank_4_reaches_98_percent_of_full_with_under_10_percent_params() {
    assert_eq!(NAMED_RANK, 4);
    let n = committed();
    let accuracy = n.value("named_accuracy_share").unwrap();
    let parameters = n.value("named_param_share").unwrap();
    assert!(accuracy >= ACCURACY_SHARE, "{accuracy}");
    assert!(parameters <= PARAMETER_SHARE, "{parameters}");
}

#[test]
fn lora_at_every_rank_beats_head_only_tuning() {
    let n = committed();
    let head = n.value("head_accuracy").unwrap();
    for r in [1, 2, 4, 8, 16] {
        let lora = n.value(&format!("lora{r}_accuracy")).unwrap();
        assert!(lora > head, "rank {r}: {lora} vs head only {head}");
    }
}

#[test]
fn full_fine_tuning_changes_layer_2_by_an_update_of_nearly_rank_8() {
    let n = committed();
    let top8 = n.value("full_update_energy_top8").unwrap();
    assert!(top8 >= 0.95, "{top8}");
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch10_lora");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
