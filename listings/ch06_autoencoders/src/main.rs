//! `cargo run --release -p ch06_autoencoders [-- --quick] [--out DIR]`: fits
//! PCA, trains the autoencoders and the VAE, and writes the chapter's figures
//! and numbers into `images/ch06/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch06", ch06_autoencoders::run)
}
