//! The chapter binary's quick run: the figures it writes and every claim the text makes about
//! the trained classifiers and their explanations, at the thresholds the text states.

use ch09_explainability::experiments::Plan;
use ch09_explainability::{
    exercises, saliency, shapes, write_chapter, Chapter, FIGURES,
};
use std::collections::BTreeSet;
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
            dudl::cli::quick_run_in_temp_dir("ch09", |args| {
                let chapter = write_chapter(args)?;
                ch09_explainability::numbers(&chapter).write(&args.out_dir)?;
                Ok(chapter)
            })
            .unwrap();
        QuickRun { chapter, written }
    })
}

#[test]
fn quick_run_writes_exactly_the_declared_figures_and_numbers() {
    let mut declared: BTreeSet<String> =
        FIGURES.iter().map(|f| f.to_string()).collect();
    declared.insert("numbers.json".into());
    assert_eq!(quick_run().written, declared);
}

#[test]
fn shape_classifier_is_at_least_90_percent_accurate_on_held_out_canvases() {
    let chapter = &quick_run().chapter;
    assert_eq!(chapter.test.len(), Plan::quick().test_images);
    assert!(chapter.accuracy >= 0.90, "accuracy {}", chapter.accuracy);
}

#[test]
fn digit_classifier_is_at_least_85_percent_accurate_on_the_mnist_test_images() {
    let accuracy = quick_run().chapter.digit_accuracy;
    assert!(accuracy >= 0.85, "accuracy {accuracy}");
}

#[test]
fn grad_cam_wins_the_pointing_game_90_percent_of_the_time_against_a_chance_rate_below_15(
) {
    let pointing = &quick_run().chapter.pointing;
    assert!(pointing.chance_rate < 0.15, "{pointing:?}");
    assert!(pointing.hit_rate >= 0.90, "{pointing:?}");
}

#[test]
fn grad_cam_equals_relu_of_cam_over_z_to_1e_5() {
    let error = quick_run().chapter.pointing.identity_error;
    assert!(error <= 1e-5, "relative error {error}");
}

#[test]
fn on_two_object_canvases_each_class_map_peaks_on_its_own_object() {
    let two = &quick_run().chapter.two_objects;
    assert!(two.own_rate >= 0.80, "{two:?}");
    assert!(two.other_rate <= 0.15, "{two:?}");
}

#[test]
fn gradient_and_ig_mass_inside_the_box_exceed_twice_its_area_share() {
    let mass = &quick_run().chapter.box_mass;
    assert!(mass.gradient >= 2.0 * mass.area_share, "{mass:?}");
    assert!(mass.integrated >= 2.0 * mass.area_share, "{mass:?}");
}

#[test]
fn integrated_gradients_are_complete_within_1_percent_at_64_steps_and_converge()
{
    let gaps = &quick_run().chapter.completeness;
    let at = |m: usize| gaps.iter().find(|g| g.0 == m).unwrap().1;
    assert!(at(64) <= 0.01, "{gaps:?}");
    assert!(at(256) < at(16) && at(16) < at(1), "{gaps:?}");
}

#[test]
fn grad_cam_loses_its_rank_correlation_once_the_head_is_randomized() {
    let rho = &quick_run().chapter.randomization.grad_cam;
    assert!(rho[1] < 0.3, "{rho:?}");
}

#[test]
fn gradient_loses_its_rank_correlation_as_the_cascade_reaches_the_input() {
    let rho = &quick_run().chapter.randomization.gradient;
    assert!(rho.windows(2).all(|w| w[1] < w[0]), "{rho:?}");
    assert!(rho[rho.len() - 1] < 0.25, "{rho:?}");
}

#[test]
fn guided_backprop_keeps_rank_order_with_three_layers_randomized() {
    let r = &quick_run().chapter.randomization;
    assert!(r.guided[3] >= 0.45, "{r:?}");
    assert!(r.guided[3] >= r.gradient[3] + 0.15, "{r:?}");
}

#[test]
fn guided_backprop_of_a_random_network_looks_more_like_the_input_than_the_trained_ones(
) {
    let [_, guided] = quick_run().chapter.input_likeness;
    assert!(guided[1] >= guided[0] + 0.15, "{guided:?}");
}

#[test]
fn deleting_the_top_ig_pixels_drops_the_logit_more_than_deleting_random_ones() {
    let chapter = &quick_run().chapter;
    let zeros = vec![0.0; shapes::PIXELS];
    let (mut top, mut random) = (0.0, 0.0);
    for (i, scene) in chapter.test[..20].iter().enumerate() {
        let class = scene.objects[0].class;
        let ig = saliency::integrated_gradients(
            &chapter.model,
            &scene.pixels,
            &zeros,
            class,
            (shapes::SIDE, 32),
        );
        let (t, r) = exercises::deletion(
            &chapter.model,
            &scene.pixels,
            (class, shapes::SIDE),
            &ig.attributions,
            (20, i as u64),
        );
        (top, random) = (top + t, random + r);
    }
    assert!(top >= 3.0 * random.max(0.0), "top {top}, random {random}");
}

#[test]
fn integrated_gradients_stay_complete_with_a_noise_baseline() {
    let chapter = &quick_run().chapter;
    let (mut gap, mut difference) = (0.0, 0.0);
    for (i, scene) in chapter.test[..10].iter().enumerate() {
        let ig = saliency::integrated_gradients(
            &chapter.model,
            &scene.pixels,
            &exercises::noise_baseline(i as u64),
            scene.objects[0].class,
            (shapes::SIDE, 64),
        );
        gap += (ig.total - ig.difference).abs();
        difference += ig.difference.abs();
    }
    assert!(gap <= 0.01 * difference, "gap {gap}, |Δy| {difference}");
}

#[test]
fn a_bad_flag_is_a_one_line_error_and_a_failing_exit() {
    let binary = env!("CARGO_BIN_EXE_ch09_explainability");
    dudl::cli::check_rejects_unknown_flag(binary).unwrap();
}
