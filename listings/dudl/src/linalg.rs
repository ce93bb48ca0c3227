//! Small dense linear algebra in `f64`: the symmetric eigen-decomposition (cyclic Jacobi) and
//! the singular value decomposition built on it.
//!
//! Matrices are row-major slices with their sizes passed alongside. These routines are for the
//! book's analyses (the spectrum of a weight update, principal components of a few hundred
//! dimensions), not for training: Jacobi costs `O(n³)` per sweep and needs a handful of
//! sweeps, and it is accurate to a few units of `f64` rounding relative to the largest
//! eigenvalue.

use anyhow::{ensure, Result};

/// Sweeps after which [`symmetric_eigen`] gives up; cyclic Jacobi converges quadratically
/// and needs fewer than ten sweeps for the matrices the book meets.
const MAX_SWEEPS: usize = 100;

/// `A = V diag(λ) Vᵀ` for a symmetric `n × n` matrix `A`.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetricEigen {
    /// The eigenvalues `λ`, largest first.
    pub values: Vec<f64>,
    /// The eigenvectors, row-major `n × n`: column `i` is the unit eigenvector of `values[i]`.
    pub vectors: Vec<f64>,
    pub n: usize,
}

impl SymmetricEigen {
    /// Column `i` of [`SymmetricEigen::vectors`]: the unit eigenvector of `values[i]`.
    pub fn vector(&self, i: usize) -> Vec<f64> {
        (0..self.n).map(|k| self.vectors[k * self.n + i]).collect()
    }
}

/// The eigen-decomposition of the symmetric `n × n` matrix `a` (row-major), by cyclic Jacobi
/// rotations: each rotation zeroes one off-diagonal pair, and the sweeps repeat until the
/// off-diagonal mass is below `1e-15` of the whole.
///
/// Errors when `a` is not `n × n`, not finite, or not symmetric (within `1e-10` of its
/// largest entry).
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<SymmetricEigen> {
    ensure!(
        a.len() == n * n,
        "{} entries for a {n} × {n} matrix",
        a.len()
    );
    ensure!(a.iter().all(|x| x.is_finite()), "the matrix is not finite");
    let largest = a.iter().fold(0f64, |m, x| m.max(x.abs()));
    for p in 0..n {
        for q in p + 1..n {
            ensure!(
                (a[p * n + q] - a[q * n + p]).abs() <= 1e-10 * largest,
                "the matrix is not symmetric: entry ({p}, {q}) differs from ({q}, {p})"
            );
        }
    }
    let mut m = a.to_vec();
    let mut v: Vec<f64> = (0..n * n)
        .map(|i| if i / n == i % n { 1.0 } else { 0.0 })
        .collect();
    let total: f64 = m.iter().map(|x| x * x).sum();
    let mut converged = false;
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|p| (0..n).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| m[p * n + q] * m[p * n + q])
            .sum();
        if off <= 1e-30 * total {
            converged = true;
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut m, &mut v, n, p, q);
            }
        }
    }
    ensure!(converged, "Jacobi did not converge in {MAX_SWEEPS} sweeps");
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    Ok(SymmetricEigen {
        values: order.iter().map(|&i| m[i * n + i]).collect(),
        vectors: (0..n * n).map(|k| v[(k / n) * n + order[k % n]]).collect(),
        n,
    })
}

/// One Jacobi rotation `M ← Jᵀ M J`, `V ← V J`, with the angle that zeroes `M[p][q]`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = m[p * n + q];
    if apq == 0.0 {
        return;
    }
    let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (kp, kq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * kp - s * kq;
        m[k * n + q] = s * kp + c * kq;
    }
    for k in 0..n {
        let (pk, qk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * pk - s * qk;
        m[q * n + k] = s * pk + c * qk;
    }
    for k in 0..n {
        let (kp, kq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * kp - s * kq;
        v[k * n + q] = s * kp + c * kq;
    }
}

/// The thin singular value decomposition `A = U diag(σ) Vᵀ` of a `rows × cols` matrix, with
/// `k = min(rows, cols)` singular values.
#[derive(Clone, Debug, PartialEq)]
pub struct Svd {
    /// `σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0`.
    pub values: Vec<f64>,
    /// Row-major `rows × k`, orthonormal columns.
    pub u: Vec<f64>,
    /// Row-major `cols × k`, orthonormal columns.
    pub v: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
}

impl Svd {
    /// The number of singular values, `min(rows, cols)`.
    pub fn k(&self) -> usize {
        self.values.len()
    }

    /// The best rank-`r` approximation `Σ_{i ≤ r} σ_i u_i v_iᵀ` (Eckart–Young), row-major.
    pub fn truncated(&self, r: usize) -> Vec<f64> {
        let k = self.k();
        let mut a = vec![0.0; self.rows * self.cols];
        for i in 0..r.min(k) {
            for row in 0..self.rows {
                let scaled = self.values[i] * self.u[row * k + i];
                for col in 0..self.cols {
                    a[row * self.cols + col] += scaled * self.v[col * k + i];
                }
            }
        }
        a
    }
}

/// `Σ_{i > r} σ_i²`: the squared Frobenius error of the best rank-`r` approximation.
pub fn tail_energy(singular_values: &[f64], r: usize) -> f64 {
    singular_values
        .iter()
        .skip(r)
        .fold(0.0, |sum, s| sum + s * s)
}

/// The SVD of the `rows × cols` matrix `a` (row-major), from the eigen-decomposition of the
/// smaller of `AᵀA` and `AAᵀ`: its eigenvalues are `σ²`, its eigenvectors the right (or left)
/// singular vectors, and the other side follows as `u = A v / σ`. Singular values below
/// `1e-7 σ₁` are only known to about `1e-8 σ₁` this way (squaring loses half the digits),
/// and their singular vectors complete the basis arbitrarily.
pub fn svd(a: &[f64], rows: usize, cols: usize) -> Result<Svd> {
    ensure!(
        a.len() == rows * cols,
        "{} entries for a {rows} × {cols} matrix",
        a.len()
    );
    if rows < cols {
        let t = transpose(a, rows, cols);
        let s = svd(&t, cols, rows)?;
        return Ok(Svd {
            values: s.values,
            u: s.v,
            v: s.u,
            rows,
            cols,
        });
    }
    let gram: Vec<f64> = (0..cols * cols)
        .map(|ij| {
            let (i, j) = (ij / cols, ij % cols);
            (0..rows).map(|r| a[r * cols + i] * a[r * cols + j]).sum()
        })
        .collect();
    let eigen = symmetric_eigen(&gram, cols)?;
    let values: Vec<f64> = eigen.values.iter().map(|l| l.max(0.0).sqrt()).collect();
    let tiny = 1e-7 * values.first().copied().unwrap_or(0.0);
    let mut u_columns: Vec<Vec<f64>> = Vec::with_capacity(cols);
    for (i, &sigma) in values.iter().enumerate() {
        let v_i = eigen.vector(i);
        let column = if sigma > tiny && sigma > 0.0 {
            (0..rows)
                .map(|r| (0..cols).map(|c| a[r * cols + c] * v_i[c]).sum::<f64>() / sigma)
                .collect()
        } else {
            orthogonal_complement(&u_columns, rows)
        };
        u_columns.push(column);
    }
    let u = (0..rows * cols)
        .map(|k| u_columns[k % cols][k / cols])
        .collect();
    Ok(Svd {
        values,
        u,
        v: eigen.vectors,
        rows,
        cols,
    })
}

/// A unit vector of length `n` orthogonal to every one of `basis` (orthonormal, fewer than
/// `n`): the standard basis vector that keeps most of its length under Gram–Schmidt.
fn orthogonal_complement(basis: &[Vec<f64>], n: usize) -> Vec<f64> {
    let residual = |e: usize| {
        let mut x: Vec<f64> = (0..n).map(|i| if i == e { 1.0 } else { 0.0 }).collect();
        for b in basis {
            let dot: f64 = x.iter().zip(b).map(|(x, b)| x * b).sum();
            x.iter_mut().zip(b).for_each(|(x, b)| *x -= dot * b);
        }
        x
    };
    let norm = |x: &[f64]| x.iter().map(|x| x * x).sum::<f64>().sqrt();
    let best = (0..n)
        .map(residual)
        .max_by(|x, y| norm(x).total_cmp(&norm(y)))
        .expect("n > 0");
    let length = norm(&best);
    best.into_iter().map(|x| x / length).collect()
}

/// The transpose of a `rows × cols` row-major matrix.
pub fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|k| a[(k % rows) * cols + k / rows])
        .collect()
}

/// The product of a `rows × inner` and an `inner × cols` matrix, row-major.
pub fn matmul(a: &[f64], b: &[f64], rows: usize, inner: usize, cols: usize) -> Vec<f64> {
    assert_eq!(a.len(), rows * inner, "left factor is not {rows} × {inner}");
    assert_eq!(
        b.len(),
        inner * cols,
        "right factor is not {inner} × {cols}"
    );
    (0..rows * cols)
        .map(|k| {
            let (r, c) = (k / cols, k % cols);
            (0..inner).map(|i| a[r * inner + i] * b[i * cols + c]).sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::max_abs_difference;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn random(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..rows * cols).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    fn identity(n: usize) -> Vec<f64> {
        (0..n * n)
            .map(|i| if i / n == i % n { 1.0 } else { 0.0 })
            .collect()
    }

    /// `QᵀQ` for a `rows × cols` matrix `Q`.
    fn gram(q: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        matmul(&transpose(q, rows, cols), q, cols, rows, cols)
    }

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, −1)/√2.
        let eigen = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        assert!(max_abs_difference(&eigen.values, &[3.0, 1.0]) < 1e-14);
        let v = eigen.vector(0);
        assert!((v[0].abs() - 0.5f64.sqrt()).abs() < 1e-14 && v[0] * v[1] > 0.0);
    }

    #[test]
    fn eigen_decomposition_reconstructs_a_random_symmetric_matrix() {
        let n = 12;
        let x = random(n, n, 1);
        let a = matmul(&transpose(&x, n, n), &x, n, n, n);
        let eigen = symmetric_eigen(&a, n).unwrap();
        assert!(max_abs_difference(&gram(&eigen.vectors, n, n), &identity(n)) < 1e-12);
        for i in 0..n {
            let v = eigen.vector(i);
            let av = matmul(&a, &v, n, n, 1);
            let lv: Vec<f64> = v.iter().map(|x| eigen.values[i] * x).collect();
            assert!(max_abs_difference(&av, &lv) < 1e-12, "eigenpair {i}");
        }
        assert!(eigen.values.windows(2).all(|w| w[0] >= w[1]));
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((eigen.values.iter().sum::<f64>() - trace).abs() < 1e-11);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(symmetric_eigen(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(symmetric_eigen(&[1.0, 2.0, 0.0, 1.0], 2).is_err());
        assert!(symmetric_eigen(&[f64::NAN], 1).is_err());
        assert!(svd(&[1.0; 5], 2, 3).is_err());
    }

    #[test]
    fn svd_reconstructs_tall_and_wide_matrices() {
        for (rows, cols) in [(9, 5), (5, 9), (6, 6)] {
            let a = random(rows, cols, 2);
            let s = svd(&a, rows, cols).unwrap();
            let k = rows.min(cols);
            assert_eq!(s.k(), k);
            assert!(max_abs_difference(&s.truncated(k), &a) < 1e-12);
            assert!(max_abs_difference(&gram(&s.u, rows, k), &identity(k)) < 1e-12);
            assert!(max_abs_difference(&gram(&s.v, cols, k), &identity(k)) < 1e-12);
            assert!(s.values.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn svd_of_a_rank_deficient_matrix_has_zero_singular_values_and_orthonormal_u() {
        // Rank 2: the product of 7 × 2 and 2 × 5 factors.
        let a = matmul(&random(7, 2, 3), &random(2, 5, 4), 7, 2, 5);
        let s = svd(&a, 7, 5).unwrap();
        assert!(s.values[1] > 1e-3 && s.values[2..].iter().all(|&x| x < 1e-7));
        assert!(max_abs_difference(&gram(&s.u, 7, 5), &identity(5)) < 1e-10);
        assert!(max_abs_difference(&s.truncated(2), &a) < 1e-12);
    }

    #[test]
    fn truncation_error_is_the_tail_energy() {
        // Eckart–Young: ‖A − A_r‖²_F = Σ_{i>r} σ_i².
        let (rows, cols) = (8, 6);
        let a = random(rows, cols, 5);
        let s = svd(&a, rows, cols).unwrap();
        for r in 0..=cols {
            let error: f64 = s
                .truncated(r)
                .iter()
                .zip(&a)
                .map(|(x, y)| (x - y) * (x - y))
                .sum();
            assert!(
                (error - tail_energy(&s.values, r)).abs() < 1e-12,
                "rank {r}"
            );
        }
    }
}
