//! The planted problem: LoRA of rank r against the Eckart–Young bound.

use ch10_lora::planted::{self, fit_all_ranks, plant, Fit, K, PLANTED, WIDTH};
use ch10_lora::{Budget, PLANTED_SEED};
use dudl::gradcheck::max_abs_difference;
use dudl::linalg::svd;
use std::sync::OnceLock;

/// The text's thresholds.
const RELATIVE_GAP_BELOW_K: f64 = 0.05;
const LOSS_AT_OR_ABOVE_K: f64 = 1e-4;
const EXTRA_SINGULAR_VALUE: f64 = 1e-3;

/// The full run's fits (the planted problem is small enough to train in full
/// here).
fn fits() -> &'static [Fit] {
    static FITS: OnceLock<Vec<Fit>> = OnceLock::new();
    FITS.get_or_init(|| {
        let planted = plant(PLANTED_SEED).unwrap();
        fit_all_ranks(&planted, Budget::full().planted).unwrap()
    })
}

#[test]
fn the_planted_update_has_exactly_the_planted_singular_values() {
    let planted = plant(PLANTED_SEED).unwrap();
    let values = svd(&planted.delta, WIDTH, WIDTH).unwrap().values;
    assert!(max_abs_difference(&values[..K], &PLANTED) < 1e-12);
    assert!(values[K..].iter().all(|&s| s < 1e-7), "{values:?}");
}

#[test]
fn below_the_planted_rank_lora_reaches_the_eckart_young_error_within_5_percent()
{
    for fit in fits().iter().filter(|f| f.rank < K) {
        let gap = (fit.loss - fit.eckart_young).abs() / fit.eckart_young;
        assert!(
            gap <= RELATIVE_GAP_BELOW_K,
            "rank {}: loss {} vs bound {}",
            fit.rank,
            fit.loss,
            fit.eckart_young
        );
    }
}

#[test]
fn at_or_above_the_planted_rank_lora_recovers_the_update() {
    for fit in fits().iter().filter(|f| f.rank >= K) {
        assert_eq!(fit.eckart_young, 0.0);
        assert!(
            fit.loss < LOSS_AT_OR_ABOVE_K,
            "rank {}: {}",
            fit.rank,
            fit.loss
        );
    }
}

#[test]
fn an_adapter_of_rank_above_k_learns_an_update_of_rank_k() {
    for fit in fits().iter().filter(|f| f.rank > K) {
        assert!(max_abs_difference(&fit.learned[..K], &PLANTED) < 1e-2);
        assert!(
            fit.learned[K] < EXTRA_SINGULAR_VALUE,
            "rank {}: σ_{} = {}",
            fit.rank,
            K + 1,
            fit.learned[K]
        );
    }
}

#[test]
fn no_adapter_beats_the_eckart_young_bound() {
    // The bound is a theorem; a loss below it would mean the loss is measured
    // wrong.
    for fit in fits() {
        assert!(fit.loss >= fit.eckart_young - 1e-9, "rank {}", fit.rank);
    }
    assert_eq!(fits().len(), planted::RANKS.len());
}
