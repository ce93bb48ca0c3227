//! Scratch buffers that outlive a call: the convolution's columns and its output before the
//! copy into a tensor, kept per thread and handed out again on the next call.
//!
//! A training step of Chapter 9 asks for 27 such buffers of 16 KB to 1 MB. Fresh from `malloc`
//! on every call, they came as pages the kernel had to fault in again: glibc returns the top of
//! its heap to the system when enough of it is free. 300 steps (`bench step ch09 300` under
//! `perf stat -e page-faults`) took 146,181 page faults with fresh buffers and 3,439 with kept
//! ones; the step's median was 4.15 and 4.04 ms in two runs with fresh buffers, 3.59 and 3.52
//! with kept ones.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

use dfdx::shapes::Dtype;

/// The element types that have a per-thread pool: `f32` and `f64`.
pub trait Pooled: Dtype {
    /// This thread's idle buffers of `Self`.
    fn pool() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
}

thread_local! {
    static F32_POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    static F64_POOL: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

impl Pooled for f32 {
    fn pool() -> &'static LocalKey<RefCell<Vec<Vec<f32>>>> {
        &F32_POOL
    }
}

impl Pooled for f64 {
    fn pool() -> &'static LocalKey<RefCell<Vec<Vec<f64>>>> {
        &F64_POOL
    }
}

/// A buffer of `len` elements from this thread's pool, returned to the pool of the thread that
/// drops it. Its elements are whatever its last user left: write before you read.
pub(super) struct Scratch<E: Pooled>(Vec<E>);

impl<E: Pooled> Scratch<E> {
    /// The smallest idle buffer that holds `len` elements, else the largest one grown to
    /// `len`, else a new one.
    pub(super) fn new(len: usize) -> Self {
        let mut buf = E::pool().with_borrow_mut(|pool| {
            let fits = (0..pool.len())
                .filter(|&i| pool[i].capacity() >= len)
                .min_by_key(|&i| pool[i].capacity());
            let pick = fits.or_else(|| (0..pool.len()).max_by_key(|&i| pool[i].capacity()));
            pick.map(|i| pool.swap_remove(i)).unwrap_or_default()
        });
        buf.resize(len, E::default());
        Self(buf)
    }
}

impl<E: Pooled> Drop for Scratch<E> {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        // A thread that is shutting down has no pool left; the buffer is freed.
        let _ = E::pool().try_with(|pool| pool.borrow_mut().push(buf));
    }
}

impl<E: Pooled> Deref for Scratch<E> {
    type Target = [E];
    fn deref(&self) -> &[E] {
        &self.0
    }
}

impl<E: Pooled> DerefMut for Scratch<E> {
    fn deref_mut(&mut self) -> &mut [E] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_goes_back_to_the_pool_and_out_again() {
        let first = Scratch::<f32>::new(1000);
        let ptr = first.as_ptr();
        drop(first);
        let pooled = |ptr| f32::pool().with_borrow(|pool| pool.iter().any(|b| b.as_ptr() == ptr));
        assert!(pooled(ptr));
        let second = Scratch::<f32>::new(1000);
        assert_eq!(second.len(), 1000);
        assert!(
            !pooled(second.as_ptr()),
            "a buffer in use stays out of the pool"
        );
    }

    #[test]
    fn buffers_in_use_are_distinct_and_sized() {
        let a = Scratch::<f64>::new(10);
        let b = Scratch::<f64>::new(20);
        assert_ne!(a.as_ptr(), b.as_ptr());
        assert_eq!((a.len(), b.len()), (10, 20));
    }
}
