//! Claim: the binary writes exactly the figures `FIGURES` declares, and the
//! numbers file beside them.

use ch01_fundamentals::{run, FIGURES};
use dudl::cli::Args;

#[test]
fn quick_run_writes_exactly_the_declared_figures() {
    let out_dir = std::env::temp_dir()
        .join(format!("ch01-figures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    run(&Args {
        quick: true,
        out_dir: out_dir.clone(),
    })
    .unwrap();
    let mut written: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut declared: Vec<String> =
        FIGURES.iter().map(|s| s.to_string()).collect();
    declared.push(dudl::numbers::FILE.to_string());
    declared.sort();
    std::fs::remove_dir_all(&out_dir).unwrap();
    assert_eq!(written, declared);
}
