//! The book builds dfdx from `patches/dfdx`, which runs elementwise kernels
//! and Adam's update over buffers of at least 2¹⁵ elements in two halves, one
//! on a helper thread, and Adam's loop compiled for AVX-512 or AVX2. Each element is computed by the same expression either
//! way, so these tests hold large tensors to the per-element definition bit
//! for bit, on both sides of the split and at its seam.

use dfdx::optim::{Adam, WeightDecay};
use dfdx::prelude::*;

/// More than twice the split threshold, and odd, so the halves differ in length.
const LEN: usize = 70_001;

fn values(offset: f32) -> Vec<f32> {
    (0..LEN)
        .map(|i| offset + ((i * 7919) % 2003) as f32 / 400.0 - 2.5)
        .collect()
}

fn assert_bits(what: &str, got: &[f32], want: impl Iterator<Item = f32>) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}[{i}]: {g} vs {w}");
    }
}

#[test]
fn large_unary_ops_and_their_gradients_match_the_per_element_definition() {
    let dev = Cpu::default();
    let x = values(0.0);
    let t: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(x.clone(), (LEN,));
    let y = t.clone().leaky_trace().tanh();
    assert_bits("tanh", &y.as_vec(), x.iter().map(|x| x.tanh()));
    // d tanh(x)/dx = 1 - tanh(x)², taken from the output.
    let grads = y.sum().backward();
    let dfdx = x.iter().map(|x| 1.0 - x.tanh().powi(2));
    assert_bits("tanh'", &grads.get(&t).as_vec(), dfdx.map(|d| d * 1.0));
}

#[test]
fn large_binary_ops_and_their_gradients_match_the_per_element_definition() {
    let dev = Cpu::default();
    let (a, b) = (values(0.0), values(0.75));
    let ta: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(a.clone(), (LEN,));
    let tb: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(b.clone(), (LEN,));
    let product = ta.clone().leaky_trace() * tb.clone().leaky_trace();
    let want = a.iter().zip(&b).map(|(a, b)| a * b);
    assert_bits("a * b", &product.as_vec(), want);
    let grads = product.sum().backward();
    assert_bits("d/da", &grads.get(&ta).as_vec(), b.iter().map(|b| b * 1.0));
    assert_bits("d/db", &grads.get(&tb).as_vec(), a.iter().map(|a| a * 1.0));
}

/// Two Adam steps with `weight_decay` on a 240 × 300 weight (72,000 elements,
/// split in two halves) and its 240 biases (not split), on `½ Σ θ²`, whose
/// gradient is `θ`; both held to dfdx's per-element update, bit for bit.
fn check_adam_steps(weight_decay: Option<WeightDecay>) {
    const STEPS: i32 = 2;
    let dev = Cpu::default();
    let mut model = dev.build_module::<Linear<300, 240>, f32>();
    let (weight_start, bias_start) = (model.weight.as_vec(), model.bias.as_vec());
    let cfg = AdamConfig {
        weight_decay,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, cfg);
    for _ in 0..STEPS {
        let weight = model.weight.clone().leaky_trace().square() * 0.5;
        let bias = model.bias.clone().leaky_trace().square() * 0.5;
        let grads = (weight.sum() + bias.sum()).backward();
        adam.update(&mut model, &grads).expect("a step");
    }
    // From zero moments, as dfdx writes the update.
    let [b1, b2] = cfg.betas.map(|b| b as f32);
    let (lr, eps) = (cfg.lr as f32, cfg.eps as f32);
    let want = |mut x: f32| {
        let (mut m, mut v) = (0.0f32, 0.0f32);
        for t in 1..=STEPS {
            let g = match weight_decay {
                Some(WeightDecay::L2(wd)) => x + wd as f32 * x,
                _ => x,
            };
            m = m * b1 + g * (1.0 - b1);
            v = v * b2 + g.powi(2) * (1.0 - b2);
            let m_hat = m * (1.0 - b1.powi(t)).recip();
            let v_hat = v * (1.0 - b2.powi(t)).recip();
            let update = lr * m_hat / (v_hat.sqrt() + eps);
            x -= match weight_decay {
                Some(WeightDecay::Decoupled(wd)) => update + (wd * cfg.lr) as f32 * x,
                _ => update,
            };
        }
        x
    };
    let what = format!("Adam, weight decay {weight_decay:?}");
    let weights = weight_start.into_iter().map(want);
    assert_bits(&what, &model.weight.as_vec(), weights);
    let biases = bias_start.into_iter().map(want);
    assert_bits(&what, &model.bias.as_vec(), biases);
}

#[test]
fn large_adam_steps_match_the_per_element_update() {
    check_adam_steps(None);
    check_adam_steps(Some(WeightDecay::L2(0.1)));
    check_adam_steps(Some(WeightDecay::Decoupled(0.1)));
}
