// dudl: the `nightly` feature's `#![feature(stdsimd, avx512_target_feature)]` is gone:
// Rust 1.89 made AVX-512 stable (patches/README.md).

pub mod gemm;
pub mod microkernel;

#[macro_use]
extern crate gemm_common;
