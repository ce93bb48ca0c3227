//! Single-threaded AVX-512 `f32` matrix products for the shapes a convolution makes (a few
//! dozen rows, a few hundred columns). The `gemm` crate uses AVX-512 only on nightly Rust;
//! its AVX2 kernels reach about half of what this CPU can do.
//!
//! One kernel, `C (m×n, row stride ldc) [+]= A · B` for `B` with contiguous rows: an `8 × 32`
//! tile of `C` lives in 16 registers while `p` runs over `k`, adding `A[i][p] · B[p][j..j+32]`
//! (a `16 × 16` tile where at most 16 columns are left).

use std::arch::x86_64::*;

/// A strided `f32` matrix as raw parts: element `(r, c)` at `ptr[r·rs + c·cs]`.
#[derive(Clone, Copy)]
pub(super) struct RawMat {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

/// Whether this CPU runs the kernel.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// The mask of the first `n` of 16 lanes.
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 {
        0xFFFF
    } else {
        (1u16 << n) - 1
    }
}

/// `C [+]= A (m×k) · B (k×n)`, `B`'s rows contiguous (`b.cs == 1`).
///
/// # Safety
/// The CPU has AVX-512F; every element the shapes and strides name is inside its allocation.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn rows_kernel(
    (m, k, n): (usize, usize, usize),
    a: RawMat,
    b: RawMat,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    for j in (0..n).step_by(32) {
        let masks = [lanes(n - j), lanes((n - j).saturating_sub(16))];
        let b_panel = RawMat {
            ptr: b.ptr.wrapping_add(j),
            ..b
        };
        let mut i = 0;
        while i < m {
            let a_rows = RawMat {
                ptr: a.ptr.wrapping_add(i * a.rs),
                ..a
            };
            let c_tile = c.wrapping_add(i * ldc + j);
            let tile = (k, a_rows, b_panel, c_tile, ldc, accumulate);
            // Panels of at most 16 columns (as `dWᵀ`'s, `O` wide) use one register a row,
            // so twice as many rows fit in the registers.
            i += match (m - i, n - j > 16) {
                (8.., true) => rows_tile::<8, 2>(tile, masks),
                (4.., true) => rows_tile::<4, 2>(tile, masks),
                (_, true) => rows_tile::<1, 2>(tile, masks),
                (16.., false) => rows_tile::<16, 1>(tile, [masks[0]]),
                (4.., false) => rows_tile::<4, 1>(tile, [masks[0]]),
                (_, false) => rows_tile::<1, 1>(tile, [masks[0]]),
            };
        }
    }
}

/// One `MR × 16·V` tile of [`rows_kernel`], `V` registers a row, `masks[v]` the columns of
/// register `v` that are inside `C`; returns `MR`. Every element of `C` is summed over `p` in
/// order, whatever the tile: the tiles change the speed, not the bits.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn rows_tile<const MR: usize, const V: usize>(
    (k, a, b, c, ldc, accumulate): (usize, RawMat, RawMat, *mut f32, usize, bool),
    masks: [__mmask16; V],
) -> usize {
    let mut acc = [[_mm512_setzero_ps(); V]; MR];
    let mut b_row = [_mm512_setzero_ps(); V];
    for p in 0..k {
        let row = b.ptr.wrapping_add(p * b.rs);
        for v in 0..V {
            b_row[v] = _mm512_maskz_loadu_ps(masks[v], row.wrapping_add(16 * v));
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let a_rp = _mm512_set1_ps(*a.ptr.add(r * a.rs + p * a.cs));
            for (acc_rv, &b_v) in acc_r.iter_mut().zip(&b_row) {
                *acc_rv = _mm512_fmadd_ps(a_rp, b_v, *acc_rv);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let out = c.wrapping_add(r * ldc);
        for (v, &acc_rv) in acc_r.iter().enumerate() {
            store(out.wrapping_add(16 * v), masks[v], acc_rv, accumulate);
        }
    }
    MR
}

/// Writes the masked lanes of `v` to `out`, added to what is there if `accumulate`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn store(out: *mut f32, mask: __mmask16, v: __m512, accumulate: bool) {
    let v = if accumulate {
        _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, out))
    } else {
        v
    };
    _mm512_mask_storeu_ps(out, mask, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `C [+]= A · B` as the kernel defines it: each element a fused multiply-add over `p` in
    /// order, from zero, then added to what `C` held.
    fn fma_in_order(a: &[f32], b: &[f32], c: &mut [f32], (m, k, n): (usize, usize, usize)) {
        for i in 0..m {
            for j in 0..n {
                let sum = (0..k).fold(0.0f32, |acc, p| a[i * k + p].mul_add(b[p * n + j], acc));
                c[i * n + j] += sum;
            }
        }
    }

    #[test]
    fn every_tile_sums_each_element_in_order_bit_for_bit() {
        if !available() {
            return;
        }
        // 27 rows leave 16-, 8-, 4- and 1-row tiles; 13, 16, 29 and 45 columns, one- and
        // two-register panels, full and masked.
        for (m, k, n) in [(27, 9, 13), (27, 33, 16), (27, 7, 29), (19, 64, 45)] {
            let value = |i: usize| ((i * 7919 % 1000) as f32 - 500.0) / 300.0;
            let a: Vec<f32> = (0..m * k).map(value).collect();
            let b: Vec<f32> = (0..k * n).map(|i| value(i + 17)).collect();
            let start: Vec<f32> = (0..m * n).map(|i| value(i + 5)).collect();
            let (mut c, mut expected) = (start.clone(), start);
            fma_in_order(&a, &b, &mut expected, (m, k, n));
            let raw = |ptr: &[f32], rs| RawMat {
                ptr: ptr.as_ptr(),
                rs,
                cs: 1,
            };
            // SAFETY: the CPU has AVX-512F (checked above); the shapes fit the slices.
            unsafe { rows_kernel((m, k, n), raw(&a, k), raw(&b, n), c.as_mut_ptr(), n, true) };
            let same = c
                .iter()
                .zip(&expected)
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "{m}×{k}×{n}: the kernel's sums differ from in-order ones"
            );
        }
    }
}
