//! Claim: bad input is a one-line error and a non-zero exit, and writes no figure.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_ch01_fundamentals");

#[test]
fn an_unknown_flag_is_a_one_line_error_and_a_nonzero_exit() {
    dudl::cli::check_rejects_unknown_flag(BINARY).unwrap();
}

#[test]
fn an_output_dir_below_a_file_is_an_error_and_writes_no_figure() {
    let file =
        std::env::temp_dir().join(format!("ch01-cli-{}", std::process::id()));
    std::fs::write(&file, b"a regular file").unwrap();
    let out_dir = file.join("images");
    let output = Command::new(BINARY)
        .args(["--quick", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(!out_dir.exists());
}
