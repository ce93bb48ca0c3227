//! `cargo run --release -p ch01_fundamentals [-- --quick] [--out DIR]`
use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch01", ch01_fundamentals::run)
}
