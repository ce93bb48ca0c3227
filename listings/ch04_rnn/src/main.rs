//! `cargo run --release -p ch04_rnn [-- --quick] [--out DIR]`: runs the
//! chapter's experiments and writes its figures into `images/ch04/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch04", ch04_rnn::run)
}
