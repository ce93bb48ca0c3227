//! Claims about scaled dot-product attention, masks, multi-head attention and positions.

use ch05_attention::attention::{
    causal_mask, scaled_dot_product_attention, MultiHeadAttention,
};
use ch05_attention::positional::sinusoidal_encoding;
use ch05_attention::reversal::{Sequence, BOS, SEQ_LEN, VOCAB};
use ch05_attention::scaling::{random_scores, variance};
use ch05_attention::train::tokens;
use ch05_attention::transformer::Reverser;
use ch05_attention::SCALING_SEED;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;
use dudl::gradcheck::{max_error, numerical_gradient};
use dudl::Dev;

const B: usize = 3;
const H: usize = 2;
const T: usize = 7;
const DK: usize = 8;

type Random = Tensor<Rank4<B, H, T, DK>, f32, Dev>;

fn random_qkv(seed: u64) -> (Random, Random, Random) {
    let dev = Dev::seed_from_u64(seed);
    (
        dev.sample_normal(),
        dev.sample_normal(),
        dev.sample_normal(),
    )
}

/// Two source sequences for the untrained encoder–decoder's wiring tests.
const SOURCES: [Sequence; 2] = [
    [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
    [2, 7, 1, 8, 2, 8, 1, 8, 2, 8],
];

fn rows(weights: &[f32]) -> impl Iterator<Item = &[f32]> {
    weights.chunks(T)
}

#[test]
fn attention_rows_sum_to_one() {
    let (q, k, v) = random_qkv(1);
    let mask = causal_mask::<B, H, T>(q.device());
    for mask in [None, Some(&mask)] {
        let (_, weights) =
            scaled_dot_product_attention(q.clone(), k.clone(), v.clone(), mask);
        for row in rows(&weights.as_vec()) {
            let total: f32 = row.iter().sum();
            assert!(
                (total - 1.0).abs() <= 1e-6,
                "row sums to {total}: {row:?}"
            );
        }
    }
}

#[test]
fn causal_mask_leaves_exactly_zero_weight_on_the_future() {
    let (q, k, v) = random_qkv(2);
    let mask = causal_mask::<B, H, T>(q.device());
    let (out, weights) = scaled_dot_product_attention(q, k, v, Some(&mask));
    assert!(out.as_vec().iter().all(|x| x.is_finite()));
    for row in weights
        .as_vec()
        .chunks(T)
        .enumerate()
        .map(|(n, row)| (n % T, row))
    {
        let (query, row) = row;
        assert!(
            row[..=query].iter().all(|&w| w > 0.0),
            "query {query} must see its past: {row:?}"
        );
        assert!(
            row[query + 1..].iter().all(|&w| w == 0.0),
            "query {query} sees the future: {row:?}"
        );
    }
}

#[test]
fn changing_future_tokens_does_not_change_causal_outputs() {
    let (q, k, v) = random_qkv(3);
    let (_, k_other, v_other) = random_qkv(4);
    let mask = causal_mask::<B, H, T>(q.device());
    // Replace the keys and values of the last position only.
    let keep: Vec<f32> = (0..B * H * T * DK)
        .map(|n| if (n / DK) % T == T - 1 { 0.0 } else { 1.0 })
        .collect();
    let keep: Random = q.device().tensor_from_vec(keep.clone(), *q.shape());
    let swap = |a: Random, b: Random| {
        a * keep.clone() + b * (keep.clone().negate() + 1.0)
    };
    let (before, _) = scaled_dot_product_attention(
        q.clone(),
        k.clone(),
        v.clone(),
        Some(&mask),
    );
    let (after, _) = scaled_dot_product_attention(
        q,
        swap(k, k_other),
        swap(v, v_other),
        Some(&mask),
    );
    let (before, after) = (before.as_vec(), after.as_vec());
    for n in 0..before.len() {
        let query = (n / DK) % T;
        if query < T - 1 {
            assert_eq!(
                before[n],
                after[n],
                "query {query} changed when only position {} did",
                T - 1
            );
        } else {
            assert_ne!(
                before[n], after[n],
                "the last query must see its own new key and value"
            );
        }
    }
}

#[test]
fn decoder_output_at_position_i_ignores_later_decoder_inputs() {
    const B: usize = 2;
    let dev = Dev::seed_from_u64(12);
    let model = Reverser::build(&dev);
    let memory = model.encode(tokens::<B>(&dev, &SOURCES));
    let known = 4; // decoder inputs 0..=4 stay, later ones change
    let inputs = |later: usize| -> Vec<Sequence> {
        (0..B)
            .map(|n| {
                std::array::from_fn(|i| match i {
                    0 => BOS,
                    i if i <= known => (n + i) % VOCAB,
                    _ => later,
                })
            })
            .collect()
    };
    let logits = |later: usize| {
        let (logits, _, _) =
            model.decode(tokens::<B>(&dev, &inputs(later)), memory.clone());
        logits.as_vec()
    };
    let (before, after) = (logits(0), logits(7));
    for n in 0..before.len() {
        let position = (n / VOCAB) % SEQ_LEN;
        if position <= known {
            assert_eq!(
                before[n], after[n],
                "output {position} changed when only inputs after {known} did"
            );
        }
    }
    assert_ne!(
        before, after,
        "the later positions must see their new inputs"
    );
}

#[test]
fn decoder_loss_sends_gradients_back_into_the_encoder() {
    const B: usize = 2;
    let dev = Dev::seed_from_u64(13);
    let model = Reverser::build(&dev);
    let inputs: [Sequence; B] = [[BOS; SEQ_LEN]; B];
    let memory =
        model.encode(tokens::<B>(&dev, &SOURCES).traced(model.alloc_grads()));
    let (logits, _, _) = model.decode(tokens::<B>(&dev, &inputs), memory);
    let grads = logits.square().mean().backward();
    for (name, grad) in [
        (
            "encoder embedding",
            grads.get(&model.encoder_embedding.weight).as_vec(),
        ),
        (
            "decoder embedding",
            grads.get(&model.decoder_embedding.weight).as_vec(),
        ),
    ] {
        assert!(grad.iter().all(|g| g.is_finite()), "{name}: {grad:?}");
        assert!(grad.iter().any(|&g| g != 0.0), "{name} gets no gradient");
    }
}

#[test]
fn attention_ignores_the_order_of_keys_and_values() {
    let (q, k, v) = random_qkv(11);
    let dev = q.device().clone();
    // Reverse the key positions of k and v together.
    let reverse = |x: &Random| {
        let x_shape = x.shape();
        let x = x.as_vec();
        let flipped = (0..x.len())
            .map(|n| {
                let (row, d) = (n / DK, n % DK);
                let (head, s) = (row / T, row % T);
                x[(head * T + T - 1 - s) * DK + d]
            })
            .collect();
        dev.tensor_from_vec(flipped, *x_shape)
    };
    let (before, _) =
        scaled_dot_product_attention(q.clone(), k.clone(), v.clone(), None);
    let (after, _) =
        scaled_dot_product_attention(q, reverse(&k), reverse(&v), None);
    let worst = before
        .as_vec()
        .iter()
        .zip(after.as_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-6, "largest difference {worst}");
}

#[test]
fn gradients_through_the_causal_mask_are_finite() {
    let (q, k, v) = random_qkv(5);
    let mask = causal_mask::<B, H, T>(q.device());
    let (out, _) = scaled_dot_product_attention(
        q.leaky_trace(),
        k.leaky_trace(),
        v.leaky_trace(),
        Some(&mask),
    );
    let grads = out.square().mean().backward();
    for (name, grad) in [
        ("q", grads.get(&q)),
        ("k", grads.get(&k)),
        ("v", grads.get(&v)),
    ] {
        let grad = grad.as_vec();
        assert!(
            grad.iter().all(|g| g.is_finite()),
            "{name} has a non-finite gradient"
        );
        assert!(
            grad.iter().any(|&g| g != 0.0),
            "{name} gets no gradient at all"
        );
    }
}

#[test]
fn from_scratch_multi_head_attention_matches_dfdx_within_1e_5() {
    const M: usize = 16;
    let dev = Dev::seed_from_u64(6);
    let reference =
        dev.build_module::<dfdx::nn::builders::MultiHeadAttention<M, 4>, f32>();
    let ours = MultiHeadAttention::<M, 4, 4> {
        w_q: reference.w_q.clone(),
        w_k: reference.w_k.clone(),
        w_v: reference.w_v.clone(),
        w_o: reference.w_o.clone(),
    };
    let x_q: Tensor<Rank3<2, 5, M>, f32, Dev> = dev.sample_normal();
    let x_kv: Tensor<Rank3<2, 9, M>, f32, Dev> = dev.sample_normal();
    let expected = reference
        .forward((x_q.clone(), x_kv.clone(), x_kv.clone()))
        .as_vec();
    let (got, weights) = ours.forward(x_q.clone(), x_kv, None);
    let worst = got
        .as_vec()
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-5, "largest difference {worst}");
    assert_eq!(weights.shape().concrete(), [2, 4, 5, 9]);
    // Self-attention agrees too (dfdx's single-input form).
    let expected = reference.forward(x_q.clone()).as_vec();
    let (got, _) = ours.self_attention(x_q, None);
    let worst = got
        .as_vec()
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-5, "self-attention: largest difference {worst}");
}

/// The variance of the unscaled scores, divided by `DK`: about 1 at every
/// width, because the variance of a dot product grows like `d_k`.
fn variance_per_dimension<const DK: usize>() -> f64 {
    variance(&random_scores::<DK>(false, SCALING_SEED)) / DK as f64
}

#[test]
fn unscaled_scores_have_variance_about_d_k_at_every_width() {
    for (d_k, ratio) in [
        (16, variance_per_dimension::<16>()),
        (64, variance_per_dimension::<64>()),
        (256, variance_per_dimension::<256>()),
    ] {
        assert!(
            (0.75..1.25).contains(&ratio),
            "d_k = {d_k}: variance {} is not about d_k",
            ratio * d_k as f64
        );
    }
}

#[test]
fn attention_divides_the_scores_by_sqrt_d_k_bringing_their_variance_to_one() {
    // Read the scores back out of the weights the chapter's attention
    // computes: log w = score - log(sum of exps), the same shift for a row.
    const DK: usize = 64;
    let dev = Dev::seed_from_u64(SCALING_SEED + 1);
    let q: Tensor<Rank4<1, 1, 64, DK>, f32, Dev> = dev.sample_normal();
    let k: Tensor<Rank4<1, 1, 10, DK>, f32, Dev> = dev.sample_normal();
    let raw = q
        .clone()
        .matmul(
            k.clone()
                .permute::<Rank4<1, 1, DK, 10>, Axes4<0, 1, 3, 2>>(),
        )
        .as_vec();
    let (_, weights) = scaled_dot_product_attention(q, k.clone(), k, None);
    let centred = |row: &[f32]| -> Vec<f64> {
        let mean =
            row.iter().map(|&x| x as f64).sum::<f64>() / row.len() as f64;
        row.iter().map(|&x| x as f64 - mean).collect()
    };
    let logs: Vec<f32> = weights.as_vec().iter().map(|w| w.ln()).collect();
    let mut scores = Vec::new();
    for (raw_row, log_row) in raw.chunks(10).zip(logs.chunks(10)) {
        let (raw_row, seen) = (centred(raw_row), centred(log_row));
        for (r, s) in raw_row.iter().zip(&seen) {
            let expected = r / (DK as f64).sqrt();
            assert!(
                (s - expected).abs() < 1e-4,
                "score {s}, expected {expected}"
            );
        }
        scores.extend(seen.iter().map(|&s| s as f32));
    }
    // Centring a row of 10 keeps 9/10 of the variance.
    let scaled = variance(&scores) * 10.0 / 9.0;
    assert!((0.75..1.25).contains(&scaled), "scaled variance {scaled}");
}

/// Loss for the gradient check: a fixed random projection of the output,
/// so that every output number matters with its own weight.
fn projected<const N: usize>(out: &[f32], weights: &[f32; N]) -> f64 {
    out.iter()
        .zip(weights)
        .map(|(&o, &w)| o as f64 * w as f64)
        .sum()
}

#[test]
fn multi_head_attention_gradients_match_dfdx_and_finite_differences_for_all_four_projections(
) {
    const M: usize = 8;
    const OUT: usize = 2 * 3 * M;
    let dev = Dev::seed_from_u64(15);
    let reference =
        dev.build_module::<dfdx::nn::builders::MultiHeadAttention<M, 2>, f32>();
    let ours = MultiHeadAttention::<M, 2, 4> {
        w_q: reference.w_q.clone(),
        w_k: reference.w_k.clone(),
        w_v: reference.w_v.clone(),
        w_o: reference.w_o.clone(),
    };
    let x_q: Tensor<Rank3<2, 3, M>, f32, Dev> = dev.sample_normal();
    let x_kv: Tensor<Rank3<2, 5, M>, f32, Dev> = dev.sample_normal();
    let r: Tensor<Rank3<2, 3, M>, f32, Dev> = dev.sample_normal();
    let r_values: [f32; OUT] = r.as_vec().try_into().unwrap();
    // Autodiff through our attention and through dfdx's.
    let (out, _) = ours.forward(
        x_q.clone().traced(ours.alloc_grads()),
        x_kv.retaped(),
        None,
    );
    let ours_grads = (out * r.clone()).sum().backward();
    let out = reference.forward((
        x_q.clone().traced(reference.alloc_grads()),
        x_kv.clone(),
        x_kv.clone(),
    ));
    let dfdx_grads = (out * r).sum().backward();
    let loss = |model: &MultiHeadAttention<M, 2, 4>| {
        let (out, _) = model.forward(x_q.clone(), x_kv.clone(), None);
        projected(&out.as_vec(), &r_values)
    };
    type Pick =
        fn(&mut MultiHeadAttention<M, 2, 4>) -> &mut Linear<M, M, f32, Dev>;
    let projections: [(&str, Pick); 4] = [
        ("W^Q", |m| &mut m.w_q),
        ("W^K", |m| &mut m.w_k),
        ("W^V", |m| &mut m.w_v),
        ("W^O", |m| &mut m.w_o),
    ];
    for (name, pick) in projections {
        let mut probe = ours.clone();
        let linear = pick(&mut probe).clone();
        for (part, ours_grad, dfdx_grad, values) in [
            (
                "weight",
                ours_grads.get(&linear.weight).as_vec(),
                dfdx_grads.get(&linear.weight).as_vec(),
                linear.weight.as_vec(),
            ),
            (
                "bias",
                ours_grads.get(&linear.bias).as_vec(),
                dfdx_grads.get(&linear.bias).as_vec(),
                linear.bias.as_vec(),
            ),
        ] {
            let to_f64 =
                |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
            let (ours_grad, dfdx_grad) =
                (to_f64(&ours_grad), to_f64(&dfdx_grad));
            let against_dfdx = max_error(&ours_grad, &dfdx_grad);
            assert!(
                against_dfdx == 0.0,
                "{name} {part}: vs dfdx {against_dfdx}"
            );
            let numeric = numerical_gradient(
                |theta| {
                    let theta: Vec<f32> =
                        theta.iter().map(|&t| t as f32).collect();
                    let target = pick(&mut probe);
                    if part == "weight" {
                        target.weight.copy_from(&theta);
                    } else {
                        target.bias.copy_from(&theta);
                    }
                    loss(&probe)
                },
                &to_f64(&values),
                1e-2,
            );
            let against_fd = max_error(&ours_grad, &numeric);
            assert!(
                against_fd < 2e-3,
                "{name} {part}: vs finite differences {against_fd}"
            );
            println!("{name} {part}: vs dfdx {against_dfdx:.1e}, vs finite differences {against_fd:.1e}");
            let largest =
                ours_grad.iter().fold(0.0, |a: f64, g| a.max(g.abs()));
            if (name, part) == ("W^K", "bias") {
                // b_K adds q·b_K to every score of a query's row: the softmax
                // ignores such a shift, so the key bias gets no gradient.
                assert!(largest < 1e-5, "key bias gradient {largest}");
            } else {
                assert!(largest > 1e-2, "{name} {part} gets no gradient");
            }
        }
    }
}

#[test]
fn sinusoidal_encoding_is_sin_and_cos_of_position_over_wavelength() {
    let dev = Dev::default();
    let p = sinusoidal_encoding::<50, 16>(&dev).array();
    assert_eq!(
        p[0],
        std::array::from_fn(|j| if j % 2 == 0 { 0.0 } else { 1.0 })
    );
    let (t, i) = (37, 3);
    let angle = t as f64 / 10_000f64.powf(2.0 * i as f64 / 16.0);
    assert!((p[t][2 * i] as f64 - angle.sin()).abs() < 1e-6);
    assert!((p[t][2 * i + 1] as f64 - angle.cos()).abs() < 1e-6);
    // Every pair of columns is a point on the unit circle.
    assert!(p.iter().all(|row| row.chunks(2).all(|pair| (pair[0].powi(2)
        + pair[1].powi(2)
        - 1.0)
        .abs()
        < 1e-5)));
}
