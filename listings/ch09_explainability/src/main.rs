//! `cargo run --release -p ch09_explainability [-- --quick] [--out DIR]`: trains the shape
//! and digit classifiers, explains them and writes the chapter's figures into `images/ch09/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch09", ch09_explainability::run)
}
