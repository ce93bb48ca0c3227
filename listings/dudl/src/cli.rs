//! The command line every chapter binary accepts.
//!
//! ```text
//! cargo run --release -p ch01_fundamentals -- [--quick] [--out DIR]
//! ```
//! `--quick` trains on a small budget (what the tests use); `--out` writes the figures
//! somewhere other than the book's `images/chNN/`. An unknown flag or an output directory
//! that cannot be written is a one-line error and a non-zero exit, before any work starts.

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What a chapter binary was asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    /// Train on a small budget: same code path, fewer steps.
    pub quick: bool,
    /// Where the figures go.
    pub out_dir: PathBuf,
}

/// The repository root (where `book/`, `images/` and `listings/` live).
pub fn repo_root() -> PathBuf {
    let dudl = Path::new(env!("CARGO_MANIFEST_DIR"));
    dudl.ancestors()
        .nth(2)
        .expect("dudl lives at <repo>/listings/dudl")
        .to_path_buf()
}

/// The book's figure directory for `chapter` (`"ch01"` → `<repo>/images/ch01`).
pub fn images_dir(chapter: &str) -> PathBuf {
    repo_root().join("images").join(chapter)
}

impl Args {
    /// Parses the arguments after the program name; `chapter` (`"ch01"`) picks the default
    /// output directory. `Ok(None)` means `--help` was printed and there is nothing to do.
    pub fn parse(chapter: &str, args: impl IntoIterator<Item = String>) -> Result<Option<Args>> {
        let mut parsed = Args {
            quick: false,
            out_dir: images_dir(chapter),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => parsed.quick = true,
                "--out" => {
                    let dir = args.next().context("--out needs a directory: --out DIR")?;
                    parsed.out_dir = PathBuf::from(dir);
                }
                "-h" | "--help" => {
                    println!(
                        "usage: {chapter} [--quick] [--out DIR]   (figures go to {})",
                        parsed.out_dir.display()
                    );
                    return Ok(None);
                }
                other => bail!("unknown argument `{other}`: expected --quick, --out DIR or --help"),
            }
        }
        Ok(Some(parsed))
    }

    /// The path of figure `name` in the output directory.
    pub fn figure(&self, name: &str) -> PathBuf {
        self.out_dir.join(name)
    }
}

/// Fails early, with the directory's name, when `dir` cannot be created or written.
pub fn ensure_writable(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
    let probe = dir.join(".write-probe.tmp");
    std::fs::write(&probe, b"")
        .with_context(|| format!("the output directory {} is not writable", dir.display()))?;
    std::fs::remove_file(&probe).with_context(|| format!("cannot clean up {}", probe.display()))?;
    Ok(())
}

/// Runs a chapter binary: parses the command line, checks the output directory, runs `body`,
/// and turns any error into one line on standard error and exit code 1 (2 for bad usage).
pub fn run(chapter: &str, body: impl FnOnce(&Args) -> Result<()>) -> ExitCode {
    let args = match Args::parse(chapter, std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    match ensure_writable(&args.out_dir).and_then(|()| body(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `write` on the quick budget into a fresh temporary directory named
/// after `chapter`, removes the directory, and returns `write`'s result with
/// the names of the files it wrote: what a chapter test needs to check that a
/// quick run writes exactly what the chapter declares.
pub fn quick_run_in_temp_dir<T>(
    chapter: &str,
    write: impl FnOnce(&Args) -> Result<T>,
) -> Result<(T, BTreeSet<String>)> {
    let out_dir = std::env::temp_dir().join(format!("{chapter}-quick-{}", std::process::id()));
    ensure_writable(&out_dir)?;
    let result = write(&Args {
        quick: true,
        out_dir: out_dir.clone(),
    });
    let written = std::fs::read_dir(&out_dir)
        .with_context(|| format!("cannot list {}", out_dir.display()))?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<BTreeSet<String>>>()
        .with_context(|| format!("cannot list {}", out_dir.display()))?;
    std::fs::remove_dir_all(&out_dir)
        .with_context(|| format!("cannot remove {}", out_dir.display()))?;
    Ok((result?, written))
}

/// Checks the promise [`run`] makes, on a built chapter binary: given the
/// unknown flag `--bogus`, it fails with exactly one line on standard error
/// that starts with `error:` and names the flag. Chapter tests call it with
/// `env!("CARGO_BIN_EXE_chNN_topic")`; the error says what was seen instead.
pub fn check_rejects_unknown_flag(binary: &str) -> Result<()> {
    let output = std::process::Command::new(binary)
        .arg("--bogus")
        .output()
        .with_context(|| format!("cannot run {binary}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        bail!("{binary} --bogus succeeded; it must fail");
    }
    if stderr.lines().count() != 1 || !stderr.starts_with("error:") || !stderr.contains("--bogus") {
        bail!("{binary} --bogus must print one `error:` line naming the flag, printed:\n{stderr}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>> {
        Args::parse("ch01", args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_are_parsed() {
        let args = parse(&["--quick", "--out", "/tmp/x"]).unwrap().unwrap();
        assert!(args.quick);
        assert_eq!(args.figure("a.svg"), PathBuf::from("/tmp/x/a.svg"));
        assert_eq!(parse(&[]).unwrap().unwrap().out_dir, images_dir("ch01"));
    }

    #[test]
    fn an_unknown_flag_is_an_error_that_names_it() {
        let err = parse(&["--fast"]).unwrap_err();
        assert!(err.to_string().contains("--fast"), "{err}");
        assert!(parse(&["--out"]).is_err());
    }

    #[test]
    fn a_quick_run_in_a_temporary_directory_lists_what_it_wrote() {
        let (quick, written) = quick_run_in_temp_dir("dudl-test", |args| {
            std::fs::write(args.figure("a.svg"), b"<svg/>")?;
            Ok(args.quick)
        })
        .unwrap();
        assert!(quick);
        assert_eq!(written.into_iter().collect::<Vec<_>>(), ["a.svg"]);
    }

    #[test]
    fn a_binary_that_accepts_any_flag_fails_the_check() {
        // `true` ignores its arguments and succeeds: not a chapter binary.
        let err = check_rejects_unknown_flag("true").unwrap_err();
        assert!(err.to_string().contains("succeeded"), "{err}");
        assert!(check_rejects_unknown_flag("/no/such/binary").is_err());
    }

    #[test]
    fn an_unwritable_directory_is_reported_by_name() {
        let file = std::env::temp_dir().join(format!("dudl-cli-{}", std::process::id()));
        std::fs::write(&file, b"a file, not a directory").unwrap();
        let err = ensure_writable(&file.join("images")).unwrap_err();
        std::fs::remove_file(&file).unwrap();
        assert!(format!("{err:#}").contains("dudl-cli-"), "{err:#}");
    }
}
