//! `cargo run --release -p ch03_cnn [-- --quick] [--out DIR]`: trains the chapter's networks
//! on 28×28 digits and writes its figures and numbers into `images/ch03/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch03", ch03_cnn::run)
}
