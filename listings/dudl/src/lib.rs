//! Companion library of *Deep Understanding of Deep Learning*.
//!
//! What two or more chapters share lives here: seeded data generators, the figure style and
//! atomic figure writes, the command line every chapter binary accepts, a progress bar, a
//! finite-difference gradient checker, the layers the book owns (convolution and pooling),
//! and the numbers a chapter's text quotes from its run. How the book itself is made (the
//! listings contract, the mdBook preprocessor) lives in the `booktools` crate.

pub mod alloc;
pub mod cli;
pub mod conv;
pub mod data;
pub mod figure;
pub mod gradcheck;
pub mod linalg;
pub mod numbers;
pub mod parallel;
pub mod pool;
pub mod progress;

/// The device every chapter runs on: the CPU, or the first CUDA GPU with `--features cuda`.
pub type Dev = dfdx::tensor::AutoDevice;
