//! The chapter binary's quick run: the figures and numbers it writes, what
//! the model and the two ablations learn on the quick budget, the key/value
//! cache, and the full run's committed numbers.

use ch05_attention::reversal::{Sequence, BOS, SEQ_LEN, VOCAB};
use ch05_attention::train::{
    greedy_decode, greedy_decode_cached, tokens, CacheComparison, CurvePoint,
    Evaluation, BATCH,
};
use ch05_attention::transformer::{Design, Reverser, HEADS};
use ch05_attention::{write_chapter, Chapter, FIGURES};
use dudl::numbers::Numbers;
use dudl::Dev;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The text's thresholds: what the quick budget (400 steps) must reach on
/// held-out sequences, decoded greedily.
const SEQUENCE_ACCURACY: f64 = 0.95;
const BEST_HEAD_ALIGNMENT: f64 = 0.95;

/// What the tests need of the quick run: plain data, no model, so that it
/// can be shared between test threads on any device.
struct QuickRun {
    curve: Vec<CurvePoint>,
    evaluation: Evaluation,
    held_out: usize,
    no_causal_mask: Evaluation,
    no_positions: Evaluation,
    cache: CacheComparison,
    numbers: Numbers,
    written: BTreeSet<String>,
    /// The trained decoder's self-attention on one batch of held-out
    /// sequences, `(B, H, T, T)`.
    decoder_self_attention: Vec<f32>,
}

/// Runs `--quick` once (into a temporary directory) for all the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (chapter, written) =
            dudl::cli::quick_run_in_temp_dir("ch05", write_chapter).unwrap();
        let batch: &[_; BATCH] =
            chapter.trained.held_out[..BATCH].try_into().unwrap();
        let decoder_self_attention =
            greedy_decode::<BATCH>(&chapter.trained.model, batch)
                .self_attention
                .as_vec();
        let Chapter {
            trained,
            no_causal_mask,
            no_positions,
            cache,
            numbers,
        } = chapter;
        QuickRun {
            curve: trained.curve,
            evaluation: trained.evaluation,
            held_out: trained.held_out.len(),
            no_causal_mask,
            no_positions,
            cache,
            numbers,
            written,
            decoder_self_attention,
        }
    })
}

fn first_point() -> &'static CurvePoint {
    &quick_run().curve[0]
}

#[test]
fn quick_run_writes_exactly_the_declared_figures_and_the_numbers() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(dudl::numbers::FILE.to_string());
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
fn best_cross_attention_head_reads_input_t_minus_1_minus_i_for_output_i_at_least_95_percent(
) {
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
    let first = first_point();
    assert!(
        (first.loss - 10f64.ln()).abs() < 0.15,
        "loss {} at step {}",
        first.loss,
        first.step
    );
    assert_eq!(first.evaluation.sequence_accuracy, 0.0, "{first:?}");
    let (_, alignment) = first.evaluation.best_head();
    assert!(alignment < 0.2, "alignment {alignment} is not near 0.1");
}

/// The no-mask ablation's thresholds (the text states them).
const NO_MASK_LOSS: f64 = 0.05;

#[test]
fn without_the_causal_mask_the_loss_is_low_and_greedy_decoding_still_reverses()
{
    let ablation = &quick_run().no_causal_mask;
    assert!(
        ablation.teacher_forced_loss < NO_MASK_LOSS,
        "teacher-forced loss {}",
        ablation.teacher_forced_loss
    );
    assert!(
        ablation.sequence_accuracy >= SEQUENCE_ACCURACY,
        "greedy exact-sequence accuracy {}",
        ablation.sequence_accuracy
    );
}

#[test]
fn without_the_causal_mask_decoder_output_at_position_0_reads_later_inputs() {
    let dev = Dev::seed_from_u64(12);
    let model = Reverser::with_design(&dev, Design::NO_CAUSAL_MASK);
    let source: [Sequence; 1] = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]];
    let memory = model.encode(tokens::<1>(&dev, &source));
    let logits_at_0 = |later: usize| {
        let inputs: [Sequence; 1] =
            [std::array::from_fn(|i| if i == 0 { BOS } else { later })];
        let (logits, _, _) =
            model.decode(tokens::<1>(&dev, &inputs), memory.clone());
        logits.as_vec()[..VOCAB].to_vec()
    };
    assert_ne!(logits_at_0(0), logits_at_0(7));
}

/// The no-positions ablation's thresholds (the text states them).
const NO_POSITIONS_TOKEN_ACCURACY: f64 = 0.3;
const CHANCE_ALIGNMENT: f64 = 0.2;

#[test]
fn without_positions_no_held_out_sequence_is_reversed_and_accuracy_stays_near_chance(
) {
    let ablation = &quick_run().no_positions;
    assert_eq!(ablation.sequence_accuracy, 0.0, "{ablation:?}");
    assert!(
        ablation.token_accuracy < NO_POSITIONS_TOKEN_ACCURACY,
        "{ablation:?}"
    );
    assert!(ablation.best_head().1 < CHANCE_ALIGNMENT, "{ablation:?}");
}

#[test]
fn cached_greedy_decoding_writes_the_same_digits_with_ten_times_fewer_scores() {
    let cache = &quick_run().cache;
    let held_out = quick_run().held_out;
    assert_eq!(cache.sequences, held_out);
    assert_eq!(cache.same_outputs, held_out, "{cache:?}");
    assert!(cache.largest_logit_difference <= 1e-5, "{cache:?}");
    // Without the cache: T passes, each scoring T queries against T keys in
    // self- and in cross-attention; with it, one query per step.
    let (t, h) = (SEQ_LEN, HEADS);
    assert_eq!(
        cache.scores_per_sequence,
        (t * 2 * t * t * h, t * 2 * t * h)
    );
    assert_eq!(cache.positions_per_sequence, (t * t, t));
}

#[test]
fn a_cache_refuses_a_decoder_without_the_causal_mask() {
    let dev = Dev::seed_from_u64(14);
    let model = Reverser::with_design(&dev, Design::NO_CAUSAL_MASK);
    let source: [Sequence; 1] = [[0; SEQ_LEN]];
    let err = greedy_decode_cached::<1>(&model, &source).err().unwrap();
    assert!(err.to_string().contains("causal"), "{err}");
}

/// The full run's committed numbers, `images/ch05/numbers.json`, found from
/// this crate's own directory (what `Numbers::committed("ch05")` reads in a
/// checkout of its own; this also holds where several checkouts share one
/// target directory and `dudl` was last built in another).
fn committed() -> Numbers {
    let images = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../images/ch05");
    Numbers::load(&images.join(dudl::numbers::FILE)).unwrap()
}

#[test]
fn full_run_numbers_support_the_text() {
    let full = committed();
    let value = |key: &str| full.value(key).unwrap();
    assert!(value("sequence_accuracy") >= SEQUENCE_ACCURACY);
    for head in 1..=HEADS {
        let alignment = value(&format!("head{head}_alignment"));
        assert!(alignment >= BEST_HEAD_ALIGNMENT, "head {head}: {alignment}");
    }
    assert!(value("first_step_at_95") < value("steps"));
    assert_eq!(value("first_sequence_accuracy"), 0.0);
    assert!((value("first_loss") - 10f64.ln()).abs() < 0.15);
    assert!(value("no_mask_teacher_forced_loss") < NO_MASK_LOSS);
    assert!(value("no_mask_sequence_accuracy") >= SEQUENCE_ACCURACY);
    assert_eq!(value("no_positions_sequence_accuracy"), 0.0);
    let blind = value("order_blind_accuracy");
    assert!(value("no_positions_token_accuracy") < NO_POSITIONS_TOKEN_ACCURACY);
    assert!(blind < NO_POSITIONS_TOKEN_ACCURACY);
    assert_eq!(value("cache_same_outputs"), value("cache_sequences"));
}

#[test]
fn committed_numbers_have_exactly_the_keys_this_code_writes() {
    let full = committed();
    let quick = &quick_run().numbers;
    assert!(
        full.keys().eq(quick.keys()),
        "rerun `cargo run --release -p ch05_attention`: committed keys {:?}, \
         this code writes {:?}",
        full.keys().collect::<Vec<_>>(),
        quick.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch05_attention");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
