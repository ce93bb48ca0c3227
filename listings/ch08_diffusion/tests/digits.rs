//! Diffusion on digits: the pieces on known answers, and the claims on the
//! committed full run (`scripts/reproduce.sh` reruns it in CI).

use ch08_diffusion::digits::{
    clip_prediction, downsample, training_macs, Standardize, LATENT, PIXELS,
};
use ch08_diffusion::model;
use ch08_diffusion::schedule::Schedule;
use dudl::numbers::Numbers;

/// The text's thresholds.
const REAL_RECOGNISED: f64 = 0.75;
const NOISE_RECOGNISED: f64 = 0.1;
const CLASSIFIER_ACCURACY: f64 = 0.9;
const LATENT_RECOGNISED: f64 = 0.45;
const RAREST_CLASS: f64 = 20.0;
const LATENT_OVER_PIXEL: f64 = 1.5;
const PIXEL_OVER_NOISE: f64 = 3.0;

fn full() -> Numbers {
    Numbers::committed("ch08").unwrap()
}

#[test]
fn the_classifier_recognises_real_digits_and_not_noise() {
    let n = full();
    let real = n.value("recognised_real").unwrap();
    let noise = n.value("recognised_noise").unwrap();
    let accuracy = n.value("classifier_accuracy").unwrap();
    assert!(real >= REAL_RECOGNISED, "real digits: {real}");
    assert!(noise <= NOISE_RECOGNISED, "noise: {noise}");
    assert!(accuracy >= CLASSIFIER_ACCURACY, "accuracy: {accuracy}");
}

#[test]
fn latent_diffusion_digits_are_recognised_in_all_ten_classes() {
    let n = full();
    let latent = n.value("recognised_latent").unwrap();
    let rarest = n.value("rarest_class_latent").unwrap();
    assert!(latent >= LATENT_RECOGNISED, "recognised: {latent}");
    assert!(rarest >= RAREST_CLASS, "rarest class: {rarest} of 500");
}

#[test]
fn at_equal_compute_latent_diffusion_is_recognised_1_5x_as_often() {
    let n = full();
    let (pixel, latent) = (
        n.value("pixel_gmacs").unwrap(),
        n.value("latent_gmacs").unwrap(),
    );
    assert!(
        (0.8..1.25).contains(&(latent / pixel)),
        "{latent} vs {pixel}"
    );
    let ratio = n.value("recognised_latent").unwrap()
        / n.value("recognised_pixel").unwrap();
    assert!(ratio >= LATENT_OVER_PIXEL, "latent over pixel: {ratio}");
}

#[test]
fn pixel_diffusion_digits_are_recognised_3x_as_often_as_noise() {
    let n = full();
    let pixel = n.value("recognised_pixel").unwrap();
    let noise = n.value("recognised_noise").unwrap();
    assert!(
        pixel >= PIXEL_OVER_NOISE * noise,
        "{pixel} vs noise {noise}"
    );
}

#[test]
fn downsample_averages_2x2_blocks_into_minus_one_to_one() {
    let mut image = [0.0; dudl::data::mnist::PIXELS];
    assert!(downsample(&image).iter().all(|&v| v == -1.0));
    // One full 2×2 block at the top left, one lone pixel in the next block.
    for i in [0, 1, 28, 29] {
        image[i] = 1.0;
    }
    image[2] = 1.0;
    let small = downsample(&image);
    assert_eq!(small.len(), PIXELS);
    assert_eq!(small[0], 1.0);
    assert_eq!(small[1], -0.5);
    assert!(small[2..].iter().all(|&v| v == -1.0));
}

#[test]
fn standardized_codes_have_mean_zero_unit_variance_and_invert() {
    let codes: Vec<[f32; LATENT]> = (0..100)
        .map(|i| std::array::from_fn(|j| (i * (j + 1)) as f32 * 0.1 + j as f32))
        .collect();
    let scale = Standardize::fit(&codes);
    let scaled: Vec<_> = codes.iter().map(|z| scale.forward(z)).collect();
    for j in 0..LATENT {
        let mean = scaled.iter().map(|u| u[j]).sum::<f32>() / 100.0;
        let var = scaled.iter().map(|u| u[j] * u[j]).sum::<f32>() / 100.0;
        assert!(
            mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
            "{mean} {var}"
        );
    }
    for (z, u) in codes.iter().zip(&scaled) {
        let back = scale.inverse(u);
        assert!(z.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-3));
    }
}

#[test]
fn clipping_keeps_predicted_x0_in_range_and_leaves_in_range_ones_alone() {
    let s = Schedule::linear(1000, 1e-4, 0.02);
    let t = 300;
    let (signal, noise) = (
        s.alpha_bar(t).sqrt() as f32,
        (1.0 - s.alpha_bar(t)).sqrt() as f32,
    );
    let x: Vec<[f32; PIXELS]> =
        vec![std::array::from_fn(|i| (i as f32 * 0.37).sin() * 2.0)];
    let x0 = |e: &[f32; PIXELS]| -> Vec<f32> {
        (0..PIXELS)
            .map(|i| (x[0][i] - noise * e[i]) / signal)
            .collect()
    };
    // A prediction implying x̂_0 far out of range is pulled back in.
    let wild = vec![[-5.0; PIXELS]];
    let clipped = clip_prediction(&s, &x, t, wild);
    assert!(x0(&clipped[0]).iter().all(|v| v.abs() <= 1.0 + 1e-4));
    // A prediction whose x̂_0 is already in range is kept.
    let tame: Vec<[f32; PIXELS]> = vec![std::array::from_fn(|i| {
        (x[0][i] - signal * (i as f32 * 0.11).cos() * 0.5) / noise
    })];
    let kept = clip_prediction(&s, &x, t, tame.clone());
    assert!(kept[0]
        .iter()
        .zip(&tame[0])
        .all(|(a, b)| (a - b).abs() < 1e-3));
}

#[test]
fn training_macs_count_three_products_per_weight_and_row() {
    let budget = model::Budget {
        steps: 7,
        batch: 5,
        lr: 1e-3,
    };
    assert_eq!(training_macs(&[2, 3, 4], budget), 3.0 * 5.0 * 7.0 * 18.0);
}
