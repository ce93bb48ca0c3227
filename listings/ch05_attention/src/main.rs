//! `cargo run --release -p ch05_attention [-- --quick] [--out DIR]`: trains the reverser and
//! writes the chapter's figures into `images/ch05/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch05", ch05_attention::run)
}
