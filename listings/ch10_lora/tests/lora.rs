//! The LoRA layer: exact at the start, exact when merged, frozen where it says,
//! and what the optimizer holds.

use ch10_lora::adapt::{self, Lora, Mlp, Schedule, CLASSES, HIDDEN};
use ch10_lora::lora::{trainable_tensors, LoraLinear};
use ch10_lora::Dev;
use dfdx::nn::modules::{Linear, ReLU};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::data::digits::PIXELS;
use dudl::gradcheck::{max_abs_difference, max_error, numerical_gradient};

const R: usize = 4;

/// A network standing in for a pretrained one (its weights do not matter here),
/// and a batch of real digit images.
fn pretrained_and_images() -> (Mlp, Tensor<(usize, Const<PIXELS>), f32, Dev>) {
    let dev = Dev::seed_from_u64(3);
    let mlp: Mlp = BuildModule::build(&dev);
    let (_, target) = adapt::tasks(adapt::SPLIT_SEED).unwrap();
    let pixels: Vec<f32> =
        target.test.images[..64].iter().flatten().copied().collect();
    (mlp, dev.tensor_from_vec(pixels, (64, Const)))
}

fn with_adapters(mlp: &Mlp) -> Lora<R> {
    let (l1, _, l2, _, head) = mlp.clone();
    (
        LoraLinear::adapt(l1, adapt::ALPHA),
        ReLU,
        LoraLinear::adapt(l2, adapt::ALPHA),
        ReLU,
        head,
    )
}

fn f64s(t: &Tensor<(usize, Const<CLASSES>), f32, Dev>) -> Vec<f64> {
    t.as_vec().into_iter().map(f64::from).collect()
}

#[test]
fn with_b_zero_the_adapted_model_equals_the_pretrained_model_exactly() {
    let (mlp, x) = pretrained_and_images();
    let lora = with_adapters(&mlp);
    assert!(
        lora.0.a.as_vec().iter().any(|&a| a != 0.0),
        "A starts random"
    );
    assert_eq!(lora.forward(x.clone()).as_vec(), mlp.forward(x).as_vec());
}

/// Trains the adapters (and the head) of `lora` for a few steps, so that `B` is
/// no longer 0.
fn trained(mut lora: Lora<R>) -> Lora<R> {
    let (_, target) = adapt::tasks(adapt::SPLIT_SEED).unwrap();
    let schedule = Schedule {
        steps: 40,
        learning_rate: 1e-2,
    };
    adapt::train(&mut lora, &target.train, schedule, 5).unwrap();
    lora
}

#[test]
fn merged_weights_give_the_unmerged_outputs_within_1e_6() {
    let (mlp, x) = pretrained_and_images();
    let lora = trained(with_adapters(&mlp));
    assert!(lora.0.b.as_vec().iter().any(|&b| b != 0.0), "B has moved");
    // The trained layer, exactly, in f64: merging is exact up to f64 rounding.
    let layer = lora.0.to_dtype::<f64>();
    let x = x.to_dtype::<f64>();
    let unmerged = layer.forward(x.clone()).as_vec();
    let merged = layer.merge().forward(x.clone()).as_vec();
    let gap = max_abs_difference(&unmerged, &merged);
    println!("layer 1 in f64: largest |merged − unmerged| {gap:.2e}");
    assert!(gap <= 1e-6, "{gap}");
    // In f32 the two orders of summation round differently, by a few units of
    // f32's precision (absolute below 1, relative above).
    let (layer, x) = (&lora.0, x.to_dtype::<f32>());
    let to_f64 = |t: Vec<f32>| t.into_iter().map(f64::from).collect::<Vec<_>>();
    let unmerged = to_f64(layer.forward(x.clone()).as_vec());
    let merged = to_f64(layer.merge().forward(x).as_vec());
    let error = max_error(&unmerged, &merged);
    println!("layer 1 in f32: error {error:.2e}");
    assert!(error <= 1e-5, "{error}");
}

#[test]
fn merged_model_classifies_like_the_unmerged_one() {
    let (mlp, x) = pretrained_and_images();
    let lora = trained(with_adapters(&mlp));
    let merged = (lora.0.merge(), ReLU, lora.2.merge(), ReLU, lora.4.clone());
    let (u, m) = (f64s(&lora.forward(x.clone())), f64s(&merged.forward(x)));
    let gap = max_abs_difference(&u, &m);
    let largest = u.iter().fold(0f64, |a, b| a.max(b.abs()));
    println!("largest logit gap {gap:.2e} (largest logit {largest:.1})");
    assert!(gap <= 1e-5 * largest.max(1.0), "{gap}");
    let classes = |logits: &[f64]| -> Vec<usize> {
        logits
            .chunks(CLASSES)
            .map(|row| {
                (0..CLASSES).fold(0, |b, c| if row[c] > row[b] { c } else { b })
            })
            .collect()
    };
    assert_eq!(classes(&u), classes(&m));
}

#[test]
fn training_leaves_the_base_weights_bit_for_bit_unchanged() {
    let (mlp, _) = pretrained_and_images();
    let lora = trained(with_adapters(&mlp));
    let bits =
        |t: Vec<f32>| t.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(
        bits(lora.0.base.weight.as_vec()),
        bits(mlp.0.weight.as_vec())
    );
    assert_eq!(bits(lora.0.base.bias.as_vec()), bits(mlp.0.bias.as_vec()));
    assert_eq!(
        bits(lora.2.base.weight.as_vec()),
        bits(mlp.2.weight.as_vec())
    );
    assert_eq!(bits(lora.2.base.bias.as_vec()), bits(mlp.2.bias.as_vec()));
    assert_ne!(
        lora.4.weight.as_vec(),
        mlp.4.weight.as_vec(),
        "the head trains"
    );
}

#[test]
fn the_optimizer_holds_state_only_for_the_adapters_and_the_head() {
    let (mlp, x) = pretrained_and_images();
    let mut lora = with_adapters(&mlp);
    let names = trainable_tensors(&lora);
    assert_eq!(
        names,
        ["0.a", "0.b", "2.a", "2.b", "4.weight", "4.bias"],
        "what any dfdx optimizer updates"
    );
    // Adam keeps two moments per tensor it updates, keyed by tensor id: after a
    // step it holds 2 × 6 of them, none for the frozen weights.
    let mut opt = Adam::new(&lora, AdamConfig::default());
    let grads = lora
        .forward(x.traced(lora.alloc_grads()))
        .square()
        .mean()
        .backward();
    opt.update(&mut lora, &grads).unwrap();
    let state = format!("{opt:?}");
    assert_eq!(
        state.matches("UniqueId(").count(),
        2 * names.len(),
        "{state:.300}"
    );
    let full_names = trainable_tensors(&mlp);
    assert_eq!(
        full_names.len(),
        6,
        "full fine-tuning updates all six tensors"
    );
}

#[test]
fn num_trainable_params_counts_the_adapters_and_the_head_only() {
    let (mlp, _) = pretrained_and_images();
    let adapters = R * (PIXELS + HIDDEN) + R * (HIDDEN + HIDDEN);
    let head = HIDDEN * CLASSES + CLASSES;
    assert_eq!(with_adapters(&mlp).num_trainable_params(), adapters + head);
    let everything = PIXELS * HIDDEN + HIDDEN + HIDDEN * HIDDEN + HIDDEN + head;
    assert_eq!(mlp.num_trainable_params(), everything);
}

#[test]
fn lora_forward_is_w_x_plus_b_plus_scaled_b_a_x() {
    // From scratch in f64 against the dfdx layer, on a 3 → 2 layer of rank 2.
    let dev = Cpu::seed_from_u64(4);
    let pretrained: Linear<3, 2, f64, Cpu> = BuildModule::build(&dev);
    let mut layer = LoraLinear::<3, 2, 2, f64, Cpu>::adapt(pretrained, 3.0);
    layer.b = dev.sample_normal();
    let x: Tensor<Rank2<4, 3>, f64, Cpu> = dev.sample_normal();
    let (w, b, a, bb) = (
        layer.base.weight.array(),
        layer.base.bias.array(),
        layer.a.array(),
        layer.b.array(),
    );
    let by_hand: Vec<f64> = x
        .array()
        .iter()
        .flat_map(|x| {
            let ax: Vec<f64> = (0..2)
                .map(|k| (0..3).map(|i| a[k][i] * x[i]).sum())
                .collect();
            (0..2).map(move |o| {
                let frozen: f64 =
                    (0..3).map(|i| w[o][i] * x[i]).sum::<f64>() + b[o];
                let update: f64 = (0..2).map(|k| bb[o][k] * ax[k]).sum();
                frozen + 3.0 / 2.0 * update
            })
        })
        .collect();
    let by_dfdx = layer.forward(x).as_vec();
    assert!(max_abs_difference(&by_hand, &by_dfdx) < 1e-12);
}

#[test]
fn gradients_of_a_and_b_match_finite_differences() {
    let dev = Cpu::seed_from_u64(5);
    let pretrained: Linear<3, 2, f64, Cpu> = BuildModule::build(&dev);
    let mut layer = LoraLinear::<3, 2, 2, f64, Cpu>::adapt(pretrained, 3.0);
    layer.b = dev.sample_normal();
    let x: Tensor<Rank2<4, 3>, f64, Cpu> = dev.sample_normal();
    let loss = |l: &LoraLinear<3, 2, 2, f64, Cpu>| {
        l.forward(x.clone()).square().sum::<Rank0, _>()
    };
    let traced = x.clone().traced(layer.alloc_grads());
    let grads = layer.forward(traced).square().sum::<Rank0, _>().backward();
    let (grad_a, grad_b) =
        (grads.get(&layer.a).as_vec(), grads.get(&layer.b).as_vec());
    let numeric_a = numerical_gradient(
        |a| {
            let mut l = layer.clone();
            l.a = dev.tensor_from_vec(a.to_vec(), (Const, Const));
            loss(&l).array()
        },
        &layer.a.as_vec(),
        1e-6,
    );
    let numeric_b = numerical_gradient(
        |b| {
            let mut l = layer.clone();
            l.b = dev.tensor_from_vec(b.to_vec(), (Const, Const));
            loss(&l).array()
        },
        &layer.b.as_vec(),
        1e-6,
    );
    assert!(max_error(&grad_a, &numeric_a) < 1e-6);
    assert!(max_error(&grad_b, &numeric_b) < 1e-6);
}
