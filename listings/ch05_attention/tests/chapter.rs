//! The chapter binary's quick run: the figures it writes and the numbers the text quotes.

use ch05_attention::reversal::SEQ_LEN;
use ch05_attention::train::{greedy_decode, CurvePoint, Evaluation, BATCH};
use ch05_attention::{write_chapter, FIGURES};
use dudl::cli::Args;
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::OnceLock;

/// The text's thresholds: what the quick budget (400 steps) must reach on held-out sequences,
/// decoded greedily.
const SEQUENCE_ACCURACY: f64 = 0.95;
const BEST_HEAD_ALIGNMENT: f64 = 0.95;

struct QuickRun {
    evaluation: Evaluation,
    curve: Vec<CurvePoint>,
    written: BTreeSet<String>,
    /// The trained decoder's self-attention on one batch of held-out sequences, `(B, H, T, T)`.
    decoder_self_attention: Vec<f32>,
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
        let batch: &[_; BATCH] = trained.held_out[..BATCH].try_into().unwrap();
        let decoder_self_attention = greedy_decode::<BATCH>(&trained.model, batch)
            .self_attention
            .as_vec();
        QuickRun {
            evaluation: trained.evaluation,
            curve: trained.curve,
            written,
            decoder_self_attention,
        }
    })
}

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let declared: BTreeSet<String> = FIGURES.iter().map(|f| f.to_string()).collect();
    assert_eq!(quick_run().written, declared);
}

#[test]
fn greedy_decoding_reverses_at_least_95_percent_of_held_out_sequences() {
    let evaluation = &quick_run().evaluation;
    assert!(
        evaluation.sequence_accuracy >= SEQUENCE_ACCURACY,
        "exact-sequence accuracy {:.3} < {SEQUENCE_ACCURACY}",
        evaluation.sequence_accuracy
    );
}

#[test]
fn best_cross_attention_head_reads_input_t_minus_1_minus_i_for_output_i_at_least_95_percent() {
    let (head, alignment) = quick_run().evaluation.best_head();
    assert!(
        alignment >= BEST_HEAD_ALIGNMENT,
        "best head {} aligns {alignment:.3} < {BEST_HEAD_ALIGNMENT}",
        head + 1
    );
}

#[test]
fn trained_decoder_puts_exactly_zero_self_attention_on_later_positions() {
    let weights = &quick_run().decoder_self_attention;
    for (n, row) in weights.chunks(SEQ_LEN).enumerate() {
        let query = n % SEQ_LEN;
        assert!(
            row[query + 1..].iter().all(|&w| w == 0.0),
            "decoder position {query} reads later positions: {row:?}"
        );
        assert!((row.iter().sum::<f32>() - 1.0).abs() <= 1e-6, "{row:?}");
    }
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
