//! How *Deep Understanding of Deep Learning* is made, as opposed to what it teaches.
//!
//! - [`contract`]: the listings contract `cargo test -p booktools` checks on the repository;
//! - [`directives`], [`preprocess`]: the book's `{{#number …}}`, `{{#cite …}}` and
//!   `{{#references}}`, expanded at build time by the mdBook preprocessor `mdbook-dudl`;
//! - [`compare`]: what `scripts/reproduce.sh` runs to compare a chapter's rerun with the
//!   committed figures and numbers (`compare-run`).
//!
//! It reads the chapter crates' source and outputs as files; it depends on none of them.

pub mod compare;
pub mod contract;
pub mod directives;
pub mod numbers;
pub mod preprocess;
pub mod references;
