//! The exercise solutions do what the exercises ask.

use ch05_attention::attention::scaled_dot_product_attention;
use ch05_attention::exercises::{
    attention_entropy, encoding_similarity, padding_mask,
};
use ch05_attention::SCALING_SEED;
use dfdx::prelude::*;
use dudl::Dev;

#[test]
fn without_scaling_attention_at_d_k_64_is_nearly_one_hot() {
    let uniform = (10f64).ln();
    let scaled = attention_entropy::<64>(true, SCALING_SEED);
    let unscaled = attention_entropy::<64>(false, SCALING_SEED);
    println!("entropy scaled {scaled:.3} unscaled {unscaled:.3} uniform {uniform:.3}");
    assert!(scaled > 1.5 && scaled < uniform, "scaled entropy {scaled}");
    assert!(unscaled < 0.5, "unscaled entropy {unscaled}");
}

#[test]
fn padding_mask_gives_padded_keys_exactly_zero_weight() {
    const B: usize = 4;
    const T: usize = 6;
    let dev = Dev::seed_from_u64(10);
    let lengths = [1, 6, 3, 4];
    let mask = padding_mask::<B, 2, T>(&dev, &lengths).unwrap();
    let (q, k, v): (Tensor<Rank4<B, 2, T, 8>, f32, Dev>, _, _) = (
        dev.sample_normal(),
        dev.sample_normal(),
        dev.sample_normal(),
    );
    let (_, weights) = scaled_dot_product_attention(q, k, v, Some(&mask));
    for (n, row) in weights.as_vec().chunks(T).enumerate() {
        let length = lengths[n / (2 * T)];
        assert!(
            row[length..].iter().all(|&w| w == 0.0),
            "padded keys seen: {row:?}"
        );
        assert!((row.iter().sum::<f32>() - 1.0).abs() <= 1e-6);
    }
    assert!(padding_mask::<B, 2, T>(&dev, &[0, 6, 3, 4]).is_err());
    assert!(padding_mask::<B, 2, T>(&dev, &[7, 6, 3, 4]).is_err());
}

#[test]
fn sinusoidal_similarity_depends_only_on_the_offset() {
    const T: usize = 24;
    let similarity = encoding_similarity::<T, 32>(&Dev::default());
    for s in 0..T {
        for t in 0..T {
            let (s0, t0) = (s - s.min(t), t - s.min(t));
            let shifted = similarity[s0 * T + t0];
            assert!(
                (similarity[s * T + t] - shifted).abs() < 1e-4,
                "P[{s}]·P[{t}] differs from P[{s0}]·P[{t0}]"
            );
        }
    }
    // A position is most similar to itself (P[t]·P[t] = M/2 = 16), and the similarity
    // falls over the first few offsets.
    assert!((1..T).all(|d| similarity[d] < similarity[0] - 0.5));
    assert!((1..=4).all(|d| similarity[d] < similarity[d - 1]));
    assert!((similarity[0] - 16.0).abs() < 1e-4);
}
