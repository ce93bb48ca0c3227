//! Independent pieces of work side by side: on two CPU threads, or one after the other on a
//! GPU, which runs one stream at a time and whose device cannot be shared between threads.

/// Runs `a` and `b` and returns both results: `a` on a second thread on the CPU, both in turn
/// with the `cuda` feature. Each must be independent of the other (own models, own seeds), so
/// the results do not depend on which way they ran.
#[cfg(not(feature = "cuda"))]
pub fn both<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|scope| {
        let first = scope.spawn(a);
        let second = b();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}

/// Runs `a` and `b` and returns both results: `a` on a second thread on the CPU, both in turn
/// with the `cuda` feature. Each must be independent of the other (own models, own seeds), so
/// the results do not depend on which way they ran.
#[cfg(feature = "cuda")]
pub fn both<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B) -> (A, B) {
    let first = a();
    (first, b())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_results_come_back_in_order() {
        let (a, b) = super::both(|| (1..=10).sum::<u32>(), || "second");
        assert_eq!((a, b), (55, "second"));
    }
}
