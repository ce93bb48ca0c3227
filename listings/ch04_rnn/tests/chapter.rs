//! The chapter's claims: on the quick run the tests make, on the experiments that need no
//! training, and on the committed numbers of the full run (which CI reproduces).

use ch04_rnn::clipping::{clip_gradient_norm, gradient_norm};
use ch04_rnn::train::CurvePoint;
use ch04_rnn::Dev;
use ch04_rnn::{
    first_overflow, measure_flow, write_chapter, Chapter, ADDING_LEN, FIGURES,
};
use dfdx::prelude::*;
use dudl::numbers::Numbers;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

struct QuickRun {
    chapter: Chapter,
    written: BTreeSet<String>,
}

/// Runs `--quick` once (into a temporary directory) for all the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (chapter, written) =
            dudl::cli::quick_run_in_temp_dir("ch04", write_chapter).unwrap();
        QuickRun { chapter, written }
    })
}

/// A number of the committed full run, `images/ch04/numbers.json` (found from this crate's
/// own directory, so that a build directory shared between checkouts cannot mislead it).
fn committed(key: &str) -> f64 {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../images/ch04/numbers.json");
    Numbers::load(&file).unwrap().value(key).unwrap()
}

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(dudl::numbers::FILE.to_string());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn rnn_gradient_decays_at_least_1000_times_more_than_lstm_over_50_steps() {
    let flow = measure_flow();
    let (rnn, lstm) = (flow.rnn[ADDING_LEN], flow.lstm[ADDING_LEN]);
    println!("after {ADDING_LEN} steps: RNN {rnn:e}, LSTM {lstm:e}");
    assert!(lstm >= 1e3 * rnn, "LSTM {lstm:e} vs RNN {rnn:e}");
    // Both start from ‖u‖ = 1 at distance 0.
    assert!(
        (flow.rnn[0] - 1.0).abs() < 1e-6 && (flow.lstm[0] - 1.0).abs() < 1e-6
    );
}

#[test]
fn forget_bias_one_keeps_at_least_100_times_more_gradient_over_50_steps() {
    let flow = measure_flow();
    let (one, zero) =
        (flow.lstm[ADDING_LEN], flow.lstm_no_forget_bias[ADDING_LEN]);
    assert!(one >= 100.0 * zero, "bias 1: {one:e}, bias 0: {zero:e}");
}

#[test]
fn lstm_and_gru_reach_mse_below_0_01_and_rnn_stays_near_the_baseline() {
    // The full run's numbers: 1,000 Adam steps at T = 50.
    let baseline = committed("held_out_baseline");
    assert!(committed("lstm_mse") < 0.01, "{}", committed("lstm_mse"));
    assert!(committed("gru_mse") < 0.01, "{}", committed("gru_mse"));
    assert!(
        committed("rnn_mse") >= 0.9 * baseline,
        "{}",
        committed("rnn_mse")
    );
}

#[test]
fn on_the_quick_budget_the_gru_beats_a_tenth_of_the_baseline_and_the_rnn_does_not(
) {
    let chapter = &quick_run().chapter;
    let baseline = chapter.held_out_baseline;
    let (gru, rnn) = (chapter.gru.final_mse(), chapter.rnn.final_mse());
    assert!(gru < baseline / 10.0, "GRU {gru} vs baseline {baseline}");
    assert!(rnn >= 0.9 * baseline, "RNN {rnn} vs baseline {baseline}");
}

fn all_finite(curve: &[CurvePoint]) -> bool {
    curve
        .iter()
        .all(|p| p.loss.is_finite() && p.held_out.is_finite())
}

#[test]
fn clipping_keeps_the_exploding_rnn_finite_where_the_unclipped_one_overflows() {
    let [control, unclipped, clipped] = &quick_run().chapter.exploding;
    assert!(first_overflow(unclipped).is_some(), "{unclipped:?}");
    // Clipped, the loss never rises above 3 (it starts near 2) and ends below 0.5.
    assert!(all_finite(clipped), "{clipped:?}");
    assert!(clipped.iter().all(|p| p.loss < 3.0), "{clipped:?}");
    assert!(clipped.last().unwrap().loss < 0.5, "{clipped:?}");
    // The clipped run met gradients far above the clip: clipping did the work.
    let largest = clipped
        .iter()
        .map(|p| p.max_gradient_norm)
        .fold(0.0, f64::max);
    assert!(largest > 1e4, "largest gradient {largest:e}");
    // The same learning rate is harmless when ρ < 1.
    assert!(
        all_finite(control)
            && control.iter().all(|p| p.max_gradient_norm < 100.0)
    );
}

#[test]
fn clipping_rescales_to_the_clip_norm_and_keeps_the_direction() {
    let dev = Dev::seed_from_u64(9);
    let model = dev.build_module::<dfdx::nn::builders::Linear<3, 2>, f32>();
    let x: Tensor<Rank2<4, 3>, f32, Dev> = dev.sample_normal();
    let loss =
        model.forward(x.trace(model.alloc_grads())).square().sum() * 100.0;
    let mut grads = loss.backward();
    let before = grads.get(&model.weight).as_vec();
    let norm = gradient_norm(&model, &mut grads).unwrap();
    assert!(norm > 1.0, "{norm}");
    assert_eq!(clip_gradient_norm(&model, &mut grads, 1.0).unwrap(), norm);
    assert!((gradient_norm(&model, &mut grads).unwrap() - 1.0).abs() < 1e-5);
    let after = grads.get(&model.weight).as_vec();
    for (b, a) in before.iter().zip(&after) {
        assert!((a - b / norm as f32).abs() < 1e-6);
    }
    // Below the clip, nothing changes.
    assert_eq!(
        clip_gradient_norm(&model, &mut grads, 10.0).unwrap() as f32,
        1.0
    );
    assert_eq!(grads.get(&model.weight).as_vec(), after);
}

#[test]
fn reversal_accuracy_without_attention_falls_with_every_longer_sequence() {
    // The full run: 5, 10, 20, 30 and 40 digits.
    let accuracy: Vec<f64> = [5, 10, 20, 30, 40]
        .iter()
        .map(|len| committed(&format!("reversal_{len}")))
        .collect();
    assert!(accuracy.windows(2).all(|w| w[1] < w[0]), "{accuracy:?}");
    assert!(accuracy[0] - accuracy[4] >= 0.5, "{accuracy:?}");
}

#[test]
fn on_the_quick_budget_reversal_accuracy_falls_by_30_points_from_5_to_20_digits(
) {
    let reversal = &quick_run().chapter.reversal;
    let (short, long) = (reversal[0], reversal[reversal.len() - 1]);
    assert_eq!((short.0, long.0), (5, 20));
    assert!(short.1 - long.1 >= 0.3, "{reversal:?}");
}

#[test]
fn the_trained_lstm_opens_an_input_gate_at_the_marked_steps_only() {
    // The full run's most selective unit, on the held-out sequences.
    assert!(committed("gate_input_marked") >= 0.5);
    assert!(committed("gate_input_unmarked") <= 0.1);
    assert!(committed("gate_forget_unmarked") >= 0.9);
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch04_rnn");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
