//! `cargo run --release -p ch02_optimization [-- --quick] [--out DIR]`: runs the chapter's
//! experiments and writes its figures and numbers into `images/ch02/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch02", ch02_optimization::run)
}
