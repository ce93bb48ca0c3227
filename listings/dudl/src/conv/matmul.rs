//! The matrix product under the CPU convolution: an AVX-512 kernel for `f32` where the CPU
//! has AVX-512F and one thread does the work, the `gemm` crate otherwise.

use dfdx::shapes::Dtype;
use gemm::Parallelism;

use super::scratch::Pooled;

/// The element types the CPU kernel multiplies: `f32` and `f64`.
pub trait GemmFloat: Dtype + Pooled {}
impl GemmFloat for f32 {}
impl GemmFloat for f64 {}

/// A read-only matrix in a slice: element `(r, c)` is `data[r·row_stride + c·col_stride]`.
pub(super) struct MatRef<'a, E> {
    data: &'a [E],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, E> MatRef<'a, E> {
    /// A row-major `rows × cols` matrix.
    pub(super) fn row_major(data: &'a [E], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major `cols × rows` matrix, read in place.
    pub(super) fn transposed(data: &'a [E], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: 1,
            col_stride: rows,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst (m×n, row-major) = [dst +] a (m×k) · b (k×n)`.
pub(super) fn matmul_into<E: GemmFloat>(
    a: MatRef<E>,
    b: MatRef<E>,
    dst: &mut [E],
    accumulate: bool,
    parallelism: Parallelism,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && dst.len() >= m * n && a.fits() && b.fits());
    if matches!(parallelism, Parallelism::None) && avx512_matmul(&a, &b, dst, accumulate) {
        return;
    }
    // SAFETY: the assert above keeps every index gemm reads or writes inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            E::ONE,
            E::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Runs `dst [+]= a · b` on the AVX-512 kernel if `E` is `f32`, `b`'s rows are contiguous and
/// the CPU has AVX-512F; returns whether it did.
#[cfg(target_arch = "x86_64")]
fn avx512_matmul<E: GemmFloat>(
    a: &MatRef<E>,
    b: &MatRef<E>,
    dst: &mut [E],
    accumulate: bool,
) -> bool {
    use super::avx512::{available, rows_kernel, RawMat};
    let is_f32 = std::any::TypeId::of::<E>() == std::any::TypeId::of::<f32>();
    if !is_f32 || b.col_stride != 1 || !available() {
        return false;
    }
    let raw = |m: &MatRef<E>| RawMat {
        ptr: m.data.as_ptr().cast::<f32>(),
        rs: m.row_stride,
        cs: m.col_stride,
    };
    let shape = (a.rows, a.cols, b.cols);
    let c = dst.as_mut_ptr().cast::<f32>();
    // SAFETY: E is f32 (checked above), the CPU has AVX-512F, and the caller asserted that
    // every index the shapes and strides name lies inside the slices.
    unsafe {
        rows_kernel(shape, raw(a), raw(b), c, b.cols, accumulate);
    }
    true
}

/// No AVX-512 off x86-64: `gemm` does every product.
#[cfg(not(target_arch = "x86_64"))]
fn avx512_matmul<E>(_: &MatRef<E>, _: &MatRef<E>, _: &mut [E], _: bool) -> bool {
    false
}
