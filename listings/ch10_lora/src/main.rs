//! `cargo run --release -p ch10_lora [-- --quick] [--out DIR]`: pretrains,
//! adapts with LoRA and writes the chapter's figures into `images/ch10/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    dudl::cli::run("ch10", ch10_lora::run)
}
