//! Single-threaded AVX-512 `f32` matrix products for the shapes a convolution makes (a few
//! dozen rows, a few hundred columns). The `gemm` crate uses AVX-512 only on nightly Rust;
//! its AVX2 kernels reach about half of what this CPU can do.
//!
//! One kernel, `C (m×n, row stride ldc) [+]= A · B` for `B` with contiguous rows: an `8 × 32`
//! tile of `C` lives in 16 registers while `p` runs over `k`, adding `A[i][p] · B[p][j..j+32]`.

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
        let masks = (lanes(n - j), lanes((n - j).saturating_sub(16)));
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
            i += match m - i {
                8.. => rows_tile::<8>(k, a_rows, b_panel, c_tile, ldc, masks, accumulate),
                4.. => rows_tile::<4>(k, a_rows, b_panel, c_tile, ldc, masks, accumulate),
                _ => rows_tile::<1>(k, a_rows, b_panel, c_tile, ldc, masks, accumulate),
            };
        }
    }
}

/// One `MR × 32` tile of [`rows_kernel`]; returns `MR`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn rows_tile<const MR: usize>(
    k: usize,
    a: RawMat,
    b: RawMat,
    c: *mut f32,
    ldc: usize,
    (lo, hi): (__mmask16, __mmask16),
    accumulate: bool,
) -> usize {
    let mut acc_lo = [_mm512_setzero_ps(); MR];
    let mut acc_hi = [_mm512_setzero_ps(); MR];
    for p in 0..k {
        let row = b.ptr.wrapping_add(p * b.rs);
        let b_lo = _mm512_maskz_loadu_ps(lo, row);
        let b_hi = _mm512_maskz_loadu_ps(hi, row.wrapping_add(16));
        for r in 0..MR {
            let a_rp = _mm512_set1_ps(*a.ptr.add(r * a.rs + p * a.cs));
            acc_lo[r] = _mm512_fmadd_ps(a_rp, b_lo, acc_lo[r]);
            acc_hi[r] = _mm512_fmadd_ps(a_rp, b_hi, acc_hi[r]);
        }
    }
    for r in 0..MR {
        let out = c.wrapping_add(r * ldc);
        store(out, lo, acc_lo[r], accumulate);
        store(out.wrapping_add(16), hi, acc_hi[r], accumulate);
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
