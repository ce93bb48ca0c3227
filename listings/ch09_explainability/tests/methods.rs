//! Claims about the pieces, on small untrained networks: the data's known answers, the split
//! forward pass, the gradients, the guided rectifier, the pointing game's chance rate, the
//! rank correlation and the randomization cascade.

use ch09_explainability::cam::{argmax, chance, hits};
use ch09_explainability::exercises::spearman_by_formula;
use ch09_explainability::guided::guided_relu;
use ch09_explainability::model::{
    class_gradients, features, head, Batch, Model, Net, Rectifier,
};
use ch09_explainability::sanity::{cascade, ranks, spearman};
use ch09_explainability::shapes::{
    draw_shape, shape_pairs, single_shapes, BoundingBox, CLASSES, PIXELS, SIDE,
};
use dfdx::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn untrained(seed: u64) -> Model<CLASSES> {
    Cpu::seed_from_u64(seed).build_module::<Net<CLASSES>, f32>()
}

#[test]
fn every_shape_is_drawn_inside_its_box() {
    for class in 0..CLASSES {
        for size in 7..=10 {
            let bbox = BoundingBox { x0: 3, y0: 5, size };
            let mut canvas = vec![0.0; PIXELS];
            draw_shape(&mut canvas, class, bbox);
            let ink: Vec<usize> =
                (0..PIXELS).filter(|&i| canvas[i] > 0.0).collect();
            assert!(
                ink.len() >= size,
                "class {class} size {size}: too little ink"
            );
            for i in ink {
                assert!(
                    bbox.contains(i / SIDE, i % SIDE),
                    "class {class}: pixel {i}"
                );
            }
        }
    }
}

#[test]
fn canvases_are_reproducible_from_their_seed_and_pairs_hold_two_classes_apart()
{
    assert_eq!(single_shapes(5, 20), single_shapes(5, 20));
    assert_ne!(single_shapes(5, 20), single_shapes(6, 20));
    for scene in shape_pairs(7, 50) {
        let [a, b] = [scene.objects[0], scene.objects[1]];
        assert_ne!(a.class, b.class);
        let overlap = (0..PIXELS).any(|i| {
            a.bbox.contains(i / SIDE, i % SIDE)
                && b.bbox.contains(i / SIDE, i % SIDE)
        });
        assert!(!overlap, "{a:?} {b:?}");
    }
}

#[test]
fn features_then_head_is_exactly_the_networks_forward_pass() {
    let model = untrained(1);
    let images: Vec<Vec<f32>> =
        single_shapes(3, 16).into_iter().map(|s| s.pixels).collect();
    let dev = Cpu::default();
    let x: Batch<16> =
        dev.tensor_from_vec(images.concat(), (Const, Const, SIDE, SIDE));
    let split = head(&model, features(&model, x.clone(), Rectifier::Plain));
    assert_eq!(split.as_vec(), model.forward(x).as_vec());
}

/// `y_c` of one canvas, computed in `f64` by the same network.
fn logit_f64(
    model: &<Net<CLASSES> as BuildOnDevice<Cpu, f64>>::Built,
    x: &[f64],
    class: usize,
) -> f64 {
    let dev = Cpu::default();
    let x: Tensor<(Const<1>, Const<1>, usize, usize), f64, Cpu> =
        dev.tensor_from_vec(x.to_vec(), (Const, Const, SIDE, SIDE));
    model.forward(x).as_vec()[class]
}

#[test]
fn class_gradients_match_central_differences_in_f64() {
    let model = untrained(2);
    let wide = model.clone().to_dtype::<f64>();
    let scene = &single_shapes(4, 1)[0];
    let class = 2;
    let grad = &class_gradients(
        &model,
        std::slice::from_ref(&scene.pixels),
        &[class],
        SIDE,
        Rectifier::Plain,
    )[0];
    let x: Vec<f64> = scene.pixels.iter().map(|&v| v as f64).collect();
    let h = 1e-5;
    for i in (0..PIXELS).step_by(7) {
        let at = |step: f64| {
            let mut moved = x.clone();
            moved[i] += step;
            logit_f64(&wide, &moved, class)
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        let error = (numeric - grad[i] as f64).abs() / numeric.abs().max(1e-3);
        assert!(error < 1e-3, "pixel {i}: {numeric} vs {}", grad[i]);
    }
}

#[test]
fn guided_relu_is_relu_forward_and_drops_negative_signals_backward() {
    let dev = Cpu::default();
    let values = vec![-1.0, 2.0, 0.5, -0.3, 3.0, 1.0];
    let x: Tensor<(Const<1>, Const<1>, usize, usize), f32, Cpu> =
        dev.tensor_from_vec(values.clone(), (Const, Const, 2, 3));
    let upstream = vec![1.0, 1.0, -2.0, 5.0, 0.5, -1.0];
    let r: Tensor<(Const<1>, Const<1>, usize, usize), f32, Cpu> =
        dev.tensor_from_vec(upstream, (Const, Const, 2, 3));
    let y = guided_relu(x.leaky_trace());
    assert_eq!(y.as_vec(), x.clone().relu().as_vec());
    let guided = (y * r.clone()).sum().backward().get(&x).as_vec();
    let plain = (x.leaky_trace().relu() * r)
        .sum()
        .backward()
        .get(&x)
        .as_vec();
    assert_eq!(plain, vec![0.0, 1.0, -2.0, 0.0, 0.5, -1.0]);
    assert_eq!(guided, vec![0.0, 1.0, 0.0, 0.0, 0.5, 0.0]);
}

#[test]
fn pointing_chance_is_the_share_of_cells_the_box_overlaps() {
    let aligned = BoundingBox {
        x0: 4,
        y0: 4,
        size: 8,
    };
    assert_eq!(chance(&aligned, 16, 2), 16.0 / 256.0);
    let shifted = BoundingBox {
        x0: 5,
        y0: 5,
        size: 8,
    };
    assert_eq!(chance(&shifted, 16, 2), 25.0 / 256.0);
    assert!(hits(&shifted, (2, 2), 2) && !hits(&shifted, (1, 2), 2));
    assert_eq!(argmax(&[0.0, 3.0, 3.0, 1.0], 2), (0, 1));
}

#[test]
fn spearman_is_one_for_monotone_maps_minus_one_reversed_and_averages_ties() {
    let a = [0.1, 0.5, 0.2, 0.9];
    let squared: Vec<f32> = a.iter().map(|v| v * v * 10.0).collect();
    let reversed: Vec<f32> = a.iter().map(|v| -v).collect();
    assert!((spearman(&a, &squared) - 1.0).abs() < 1e-12);
    assert!((spearman(&a, &reversed) + 1.0).abs() < 1e-12);
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    assert_eq!(spearman(&a, &[1.0; 4]), 0.0);
}

#[test]
fn spearman_equals_the_closed_form_when_there_are_no_ties() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..10 {
        let a: Vec<f32> = (0..50).map(|_| rng.gen()).collect();
        let b: Vec<f32> = a.iter().map(|v| v + rng.gen::<f32>()).collect();
        let (direct, formula) = (spearman(&a, &b), spearman_by_formula(&a, &b));
        assert!((direct - formula).abs() < 1e-9, "{direct} vs {formula}");
    }
}

#[test]
fn cascade_reinitializes_one_more_layer_per_stage_from_the_top() {
    let trained = untrained(5);
    let stages = cascade(&trained);
    assert_eq!(stages.len(), 5);
    let layers = |m: &Model<CLASSES>| {
        let (((c1, _, _), (c2, _), (c3, _)), (_, linear)) = m;
        [
            linear.weight.as_vec(),
            c3.weight.as_vec(),
            c2.weight.as_vec(),
            c1.weight.as_vec(),
        ]
    };
    let original = layers(&trained);
    for (stage, model) in stages.iter().enumerate() {
        for (layer, (now, before)) in
            layers(model).iter().zip(&original).enumerate()
        {
            assert_eq!(
                now != before,
                layer < stage,
                "stage {stage}, layer {layer}"
            );
        }
    }
}

#[test]
fn base64_matches_the_rfc_4648_test_vectors() {
    use ch09_explainability::figures::base64;
    let vectors = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in vectors {
        assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
    }
}
