//! Principal component analysis: the covariance of the training images and
//! its top eigenvectors by subspace iteration, then projection and
//! reconstruction.

use crate::Dev;
use anyhow::{ensure, Result};
use dfdx::prelude::*;
use dudl::data::mnist::PIXELS;
use dudl::linalg::symmetric_eigen;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ANCHOR: covariance
/// The mean image `μ` and the covariance `C = (1/N) Σ (x − μ)(x − μ)ᵀ`,
/// row-major `PIXELS × PIXELS`, of `images`. The product `X_cᵀ X_c` of the
/// centred `N × 784` data matrix is dfdx's matrix multiply.
pub fn mean_and_covariance(images: &[[f32; PIXELS]]) -> (Vec<f64>, Vec<f64>) {
    let n = images.len();
    let mut mean = vec![0.0; PIXELS];
    for x in images {
        for (m, &v) in mean.iter_mut().zip(x) {
            *m += v as f64 / n as f64;
        }
    }
    let centred: Vec<f32> = images
        .iter()
        .flat_map(|x| x.iter().zip(&mean).map(|(&v, m)| v - *m as f32))
        .collect();
    let dev = Dev::default();
    let xc = dev.tensor_from_vec(centred, (n, Const::<PIXELS>));
    let xt = xc.clone().permute::<_, Axes2<1, 0>>();
    let cov = xt.matmul(xc).as_vec();
    (mean, cov.iter().map(|&c| c as f64 / n as f64).collect())
}
// ANCHOR_END: covariance

// ANCHOR: subspace
/// The `k` largest eigenvalues of the symmetric `n × n` matrix `a` and their
/// unit eigenvectors (`vectors[i]` belongs to `values[i]`), by subspace
/// iteration on a block of `k + extra` vectors: multiply by `a`,
/// re-orthonormalise, repeat; then diagonalise `Qᵀ A Q` (Rayleigh–Ritz).
pub fn top_eigen(
    a: &[f64],
    n: usize,
    k: usize,
    iterations: usize,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    ensure!(a.len() == n * n && k > 0 && k <= n, "need 0 < k <= n");
    let block = (k + 8).min(n);
    // a seeded random start: almost surely not orthogonal to the answer
    let mut rng = StdRng::seed_from_u64(0);
    let mut q: Vec<Vec<f64>> = (0..block)
        .map(|_| (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect())
        .collect();
    orthonormalise(&mut q)?;
    for _ in 0..iterations {
        q = q.iter().map(|v| multiply(a, n, v)).collect();
        orthonormalise(&mut q)?;
    }
    let aq: Vec<Vec<f64>> = q.iter().map(|v| multiply(a, n, v)).collect();
    let small: Vec<f64> = (0..block * block)
        .map(|ij| dot(&q[ij / block], &aq[ij % block]))
        .collect();
    let ritz = symmetric_eigen(&small, block)?;
    let vectors = (0..k)
        .map(|i| {
            let coefficients = ritz.vector(i);
            (0..n)
                .map(|p| (0..block).map(|j| coefficients[j] * q[j][p]).sum())
                .collect()
        })
        .collect();
    Ok((ritz.values[..k].to_vec(), vectors))
}
// ANCHOR_END: subspace

/// `a v` for a row-major symmetric `n × n` matrix.
fn multiply(a: &[f64], n: usize, v: &[f64]) -> Vec<f64> {
    a.chunks_exact(n).map(|row| dot(row, v)).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Modified Gram–Schmidt: makes the vectors orthonormal, in order.
fn orthonormalise(vectors: &mut [Vec<f64>]) -> Result<()> {
    for i in 0..vectors.len() {
        let (done, rest) = vectors.split_at_mut(i);
        let v = &mut rest[0];
        for u in done.iter() {
            let projection = dot(u, v);
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= projection * y);
        }
        let length = dot(v, v).sqrt();
        ensure!(length > 1e-12, "the block lost rank at vector {i}");
        v.iter_mut().for_each(|x| *x /= length);
    }
    Ok(())
}

// ANCHOR: pca
/// PCA with `k` components: `z = Wᵀ(x − μ)`, `x̂ = μ + W z`.
pub struct Pca {
    pub mean: Vec<f64>,
    /// The principal directions `w_1 … w_k`, unit length, largest first.
    pub components: Vec<Vec<f64>>,
    /// Their eigenvalues: the variance of the data along each.
    pub variances: Vec<f64>,
}

impl Pca {
    /// Fits the top `k` principal directions of `images`.
    pub fn fit(images: &[[f32; PIXELS]], k: usize) -> Result<Pca> {
        let (mean, cov) = mean_and_covariance(images);
        let (variances, components) = top_eigen(&cov, PIXELS, k, 60)?;
        Ok(Pca {
            mean,
            components,
            variances,
        })
    }

    /// The code `z = Wᵀ(x − μ)` of one image.
    pub fn encode(&self, x: &[f32; PIXELS]) -> Vec<f64> {
        let centred: Vec<f64> = x
            .iter()
            .zip(&self.mean)
            .map(|(&v, m)| v as f64 - m)
            .collect();
        self.components.iter().map(|w| dot(w, &centred)).collect()
    }

    /// The reconstruction `x̂ = μ + W z`.
    pub fn decode(&self, z: &[f64]) -> Vec<f64> {
        let mut x = self.mean.clone();
        for (w, &zi) in self.components.iter().zip(z) {
            x.iter_mut().zip(w).for_each(|(v, wi)| *v += zi * wi);
        }
        x
    }
}
// ANCHOR_END: pca

impl Pca {
    /// The same fit restricted to its first `k` components.
    pub fn truncated(&self, k: usize) -> Pca {
        Pca {
            mean: self.mean.clone(),
            components: self.components[..k].to_vec(),
            variances: self.variances[..k].to_vec(),
        }
    }

    /// Mean squared error per pixel, `(1/N) Σ ‖x − x̂‖² / PIXELS`, on `images`.
    pub fn reconstruction_error(&self, images: &[[f32; PIXELS]]) -> f64 {
        let total: f64 = images
            .iter()
            .map(|x| {
                let x_hat = self.decode(&self.encode(x));
                x.iter()
                    .zip(&x_hat)
                    .map(|(&v, h)| (v as f64 - h).powi(2))
                    .sum::<f64>()
            })
            .sum();
        total / (images.len() * PIXELS) as f64
    }
}
