//! Tensors built from host data without defeating dfdx's allocation cache.
//!
//! With the cache on (`dev.enable_cache()`), every buffer a dropped tensor leaves behind goes
//! into the cache for the next allocation of the same size. A tensor made by
//! `tensor_from_vec` brings its own buffer but also gives it to the cache when dropped, and no
//! later `tensor_from_vec` takes one out: built once a step, such buffers pile up. Copying the
//! data into a buffer taken from the cache keeps the books balanced.
//!
//! The book's patched dfdx (`patches/README.md`) now balances `tensor_from_vec` the same way.
//! The convolution, the pooling and the batches of Chapters 3 and 9 keep this function: a
//! `Vec` built for `tensor_from_vec` comes fresh from `malloc` every step, and its pages have to
//! be faulted in again. With the convolution's output switched to it, 300 training steps of
//! Chapter 9 (`bench step ch09 300` under `perf stat`) took 165,828 page faults against 3,037,
//! and the step's median was 4.35 ms against 3.62.

use dfdx::prelude::*;

/// `data` (row-major) as a tensor of `shape`, in a buffer from `dev`'s allocation cache when
/// the cache is on (a fresh one when it is off).
///
/// Panics if `data` does not hold `shape.num_elements()` values, as `tensor_from_vec` does.
pub fn tensor_from_slice<S: Shape, E: Unit, D: ZerosTensor<E> + CopySlice<E>>(
    dev: &D,
    data: &[E],
    shape: S,
) -> Tensor<S, E, D> {
    let mut tensor = dev.zeros_like(&shape);
    tensor.copy_from(data);
    tensor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_data_in_the_shape() {
        let dev = Cpu::default();
        dev.enable_cache();
        let t = tensor_from_slice(&dev, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], (Const::<2>, 3));
        assert_eq!(t.shape().1, 3);
        assert_eq!(t.as_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
