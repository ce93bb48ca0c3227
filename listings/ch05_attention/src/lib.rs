//! Chapter 5: attention and transformers.
pub mod attention;
pub mod positional;
pub mod reversal;
pub mod train;
pub mod transformer;

/// The figures `cargo run --release -p ch05_attention` writes into `images/ch05/`.
pub const FIGURES: &[&str] = &[];
