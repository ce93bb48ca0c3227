//! Sinusoidal positional encoding (Vaswani et al., 2017).

use dfdx::prelude::*;
use dudl::Dev;

// ANCHOR: sinusoidal
/// The sinusoidal positional encoding `P`, `(T, DM)`: for position `t` and
/// pair `i`, `P[t, 2i] = sin(t / 10000^(2i/DM))` and
/// `P[t, 2i+1] = cos(t / 10000^(2i/DM))`.
/// Every pair of columns is a clock hand turning at its own speed.
pub fn sinusoidal_encoding<const T: usize, const DM: usize>(
    dev: &Dev,
) -> Tensor<Rank2<T, DM>, f32, Dev> {
    let values: Vec<f32> = (0..T * DM)
        .map(|n| {
            let (t, j) = (n / DM, n % DM);
            let pair = (j - j % 2) as f64 / DM as f64; // 2i / DM
            let angle = t as f64 / 10_000f64.powf(pair);
            (if j % 2 == 0 { angle.sin() } else { angle.cos() }) as f32
        })
        .collect();
    dev.tensor_from_vec(values, (Const::<T>, Const::<DM>))
}
// ANCHOR_END: sinusoidal
