//! `cargo run --release -p ch08_diffusion [-- --quick] [--out DIR]`: trains the
//! 2-D denoisers and writes the chapter's figures into `images/ch08/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch08", ch08_diffusion::run)
}
