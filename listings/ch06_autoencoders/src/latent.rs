//! Looking at the VAE's latent space: the aggregate posterior, the decoded
//! grid of Kingma & Welling's manifold figure, and interpolation.

use dudl::data::mnist::PIXELS;

/// A binarized copy of `images`: a pixel is on when its grey value > ½.
pub fn binarize(images: &[[f32; PIXELS]]) -> Vec<[f32; PIXELS]> {
    images
        .iter()
        .map(|x| x.map(|v| if v > 0.5 { 1.0 } else { 0.0 }))
        .collect()
}

// ANCHOR: aggregate
/// Mean and variance, per latent dimension, of the aggregate posterior
/// `q(z) = (1/N) Σ_n N(z; μ_n, diag σ_n²)`: the mean of the `μ_n`, and the
/// variance of the `μ_n` plus the mean of the `σ_n²` (total variance).
pub fn aggregate_moments<const L: usize>(
    means: &[[f32; L]],
    variances: &[[f32; L]],
) -> [(f64, f64); L] {
    let n = means.len() as f64;
    std::array::from_fn(|j| {
        let mean = means.iter().map(|m| m[j] as f64).sum::<f64>() / n;
        let spread = means
            .iter()
            .map(|m| (m[j] as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let within = variances.iter().map(|v| v[j] as f64).sum::<f64>() / n;
        (mean, spread + within)
    })
}
// ANCHOR_END: aggregate

/// The standard normal quantile `Φ⁻¹(p)`, `0 < p < 1` (Acklam's rational
/// approximation, relative error below 1.2 × 10⁻⁹).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        let num =
            ((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5];
        num / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        let num =
            ((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5];
        num * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r
                + 1.0)
    }
}

// ANCHOR: grid
/// The `side × side` codes of the manifold figure: `z = (Φ⁻¹(u), Φ⁻¹(v))`
/// for `u, v` evenly spaced in `(0, 1)`, so that each cell holds the same
/// prior mass. Row 0 is the top of the figure (largest `z₂`).
pub fn latent_grid(side: usize) -> Vec<[f32; 2]> {
    let at = |i: usize| normal_quantile((i as f64 + 0.5) / side as f64) as f32;
    (0..side * side)
        .map(|k| [at(k % side), at(side - 1 - k / side)])
        .collect()
}
// ANCHOR_END: grid

// ANCHOR: interpolate
/// `steps` codes on the straight line from `a` to `b`, both ends included.
pub fn interpolate<const L: usize>(
    a: &[f32; L],
    b: &[f32; L],
    steps: usize,
) -> Vec<[f32; L]> {
    (0..steps)
        .map(|s| {
            let t = s as f32 / (steps - 1) as f32;
            std::array::from_fn(|j| (1.0 - t) * a[j] + t * b[j])
        })
        .collect()
}
// ANCHOR_END: interpolate
