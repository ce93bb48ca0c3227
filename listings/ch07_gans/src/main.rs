//! `cargo run --release -p ch07_gans [-- --quick] [--out DIR]`: plays the
//! chapter's games and writes its figures into `images/ch07/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch07", ch07_gans::run)
}
