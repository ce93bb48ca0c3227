//! The chapter binary: its quick run writes exactly the declared figures,
//! and the full run's committed numbers (`cargo run --release -p
//! ch06_autoencoders`, rechecked by `scripts/reproduce.sh`) meet every
//! threshold the text quotes.

use ch06_autoencoders::{write_chapter, FIGURES};
use dudl::numbers::Numbers;
use std::collections::BTreeSet;
use std::sync::OnceLock;

struct QuickRun {
    written: BTreeSet<String>,
    numbers: Numbers,
}

/// Runs `--quick` once (into a temporary directory) for the tests below.
fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (numbers, written) =
            dudl::cli::quick_run_in_temp_dir("ch06", write_chapter).unwrap();
        QuickRun { written, numbers }
    })
}

fn full(key: &str) -> f64 {
    static FULL: OnceLock<Numbers> = OnceLock::new();
    FULL.get_or_init(|| Numbers::committed("ch06").unwrap())
        .value(key)
        .unwrap()
}

#[test]
fn quick_run_writes_exactly_the_declared_figures_and_numbers() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert(dudl::numbers::FILE.to_string());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn quick_run_records_every_key_of_the_full_run() {
    let full = Numbers::committed("ch06").unwrap();
    let quick: BTreeSet<&str> = quick_run().numbers.keys().collect();
    let committed: BTreeSet<&str> = full.keys().collect();
    assert_eq!(quick, committed);
}

#[test]
fn linear_autoencoder_is_within_2_percent_of_pca_at_the_same_code_size() {
    let gap = full("linear_error") / full("pca_k_error") - 1.0;
    assert!(gap.abs() <= 0.02, "gap {gap}");
}

#[test]
fn two_d_autoencoder_reconstructs_better_than_pca_with_two_components() {
    assert!(full("ae2_error") < full("pca2_error"));
}

#[test]
fn knn_on_autoencoder_codes_beats_knn_on_pca_codes() {
    assert!(full("knn_ae2") > full("knn_pca2"));
}

#[test]
fn held_out_elbo_is_at_least_the_quoted_bound() {
    assert!(full("vae_elbo") >= -170.0, "{}", full("vae_elbo"));
    assert!(full("wide_elbo") >= -115.0, "{}", full("wide_elbo"));
}

#[test]
fn beta_vae_aggregate_posterior_is_near_the_prior_and_beta_1_is_not() {
    for j in 1..=2 {
        let mean = full(&format!("beta_aggregate_mean_{j}"));
        let var = full(&format!("beta_aggregate_var_{j}"));
        assert!(
            mean.abs() <= 0.2 && (var - 1.0).abs() <= 0.3,
            "{mean} {var}"
        );
    }
    let widest = full("vae_aggregate_var_1").max(full("vae_aggregate_var_2"));
    assert!(widest > 1.3, "β = 1: variance {widest}");
}

#[test]
fn large_beta_collapses_the_posterior_onto_the_prior() {
    assert!(full("collapse_kl") < 0.01, "{}", full("collapse_kl"));
    assert!(full("collapse_elbo") < full("vae_elbo"));
}

#[test]
fn prior_samples_are_confident_digits_of_all_ten_classes() {
    assert!(full("prior_confident") >= 0.25);
    assert_eq!(full("prior_classes"), 10.0);
    assert!(full("prior_rarest") >= 10.0);
}

#[test]
fn denoising_autoencoder_beats_the_plain_one_and_the_noisy_input() {
    assert!(full("dae_error") < full("ae_noisy_error"));
    assert!(full("dae_error") < full("noisy_error"));
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch06_autoencoders");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
