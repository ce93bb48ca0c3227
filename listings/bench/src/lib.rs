//! How fast the book's code is: each chapter's training step timed against a
//! PyTorch twin of the same model, batch and optimizer, and each chapter's
//! full run timed end to end.
//!
//! `cargo run --release -p bench -- chapters` runs it (see `main.rs`). The two
//! sides take turns, a block of steps each, so that a slow spell of a shared
//! machine lands on both; the table shows the median and the minimum of every
//! step's wall time, and the ratio of the medians, Rust ÷ PyTorch.
//!
//! A twin is `twins/chNN.py`, run by `twins/harness.py`, which speaks one line
//! of JSON per request over standard input and output: after warm-up it
//! prints `{"ready": true, "torch": "2.15.0"}`; for each line `n` it reads, it
//! runs `n` steps and prints `{"ms": [t1, …, tn]}`.

pub mod steps;

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// The median and the minimum of a set of wall times, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
}

impl Summary {
    /// The median (the mean of the two middle values for an even count) and
    /// the minimum of `times`; `None` when there are none or one is NaN.
    pub fn of(times: &[f64]) -> Option<Summary> {
        if times.is_empty() || times.iter().any(|t| t.is_nan()) {
            return None;
        }
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        };
        Some(Summary {
            median,
            min: sorted[0],
        })
    }
}

/// Wall times of `n` calls of `step`, in milliseconds, one per call.
pub fn time_steps(n: usize, step: &mut dyn FnMut() -> Result<()>) -> Result<Vec<f64>> {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            step()?;
            Ok(start.elapsed().as_secs_f64() * 1e3)
        })
        .collect()
}

/// The twins' directory, `listings/bench/twins`.
pub fn twins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("twins")
}

/// A running PyTorch twin of one chapter's training step.
pub struct Twin {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// PyTorch's version, as the twin reported it.
    pub torch: String,
}

impl Twin {
    /// Starts `twins/<chapter>.py` through the harness with `threads` threads
    /// and waits until it has warmed up. The error says why it could not start
    /// (no python3, no torch, a failing script), in one line.
    pub fn start(chapter: &str, threads: usize, warmup: usize) -> Result<Twin> {
        Twin::start_in(&twins_dir(), chapter, threads, warmup)
    }

    /// [`Twin::start`] with the harness and the twin in `dir`.
    pub fn start_in(dir: &Path, chapter: &str, threads: usize, warmup: usize) -> Result<Twin> {
        ensure!(
            dir.join(format!("{chapter}.py")).exists(),
            "no twin {}/{chapter}.py",
            dir.display()
        );
        let mut child = Command::new("python3")
            .arg(dir.join("harness.py"))
            .args(["--chapter", chapter])
            .args(["--threads", &threads.to_string()])
            .args(["--warmup", &warmup.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("python3 cannot be run")?;
        let stdin = child.stdin.take().context("no stdin to the twin")?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout from the twin")?);
        let mut twin = Twin {
            child,
            stdin,
            stdout,
            torch: String::new(),
        };
        let ready = twin.read_line()?;
        twin.torch = parse_ready(&ready)?;
        Ok(twin)
    }

    /// Runs `n` steps of the twin; their wall times in milliseconds.
    pub fn time_steps(&mut self, n: usize) -> Result<Vec<f64>> {
        writeln!(self.stdin, "{n}").context("the twin stopped reading")?;
        self.stdin.flush().context("the twin stopped reading")?;
        let line = self.read_line()?;
        let times = parse_times(&line)?;
        ensure!(
            times.len() == n,
            "asked the twin for {n} steps, got {}",
            times.len()
        );
        Ok(times)
    }

    /// One line of the twin's output, or the last line of its standard error
    /// when it has exited.
    fn read_line(&mut self) -> Result<String> {
        let mut line = String::new();
        let read = self
            .stdout
            .read_line(&mut line)
            .context("cannot read the twin")?;
        if read == 0 {
            let mut stderr = String::new();
            if let Some(mut err) = self.child.stderr.take() {
                std::io::Read::read_to_string(&mut err, &mut stderr).ok();
            }
            let _ = self.child.wait();
            let why = stderr.lines().rev().find(|l| !l.trim().is_empty());
            bail!("{}", why.unwrap_or("the twin exited without output"));
        }
        Ok(line)
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        // Closing stdin ends the harness's loop; it exits by itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PyTorch's version from the twin's first line, `{"ready": true, "torch": "2.15.0"}`.
pub fn parse_ready(line: &str) -> Result<String> {
    let value: Value = serde_json::from_str(line.trim())
        .with_context(|| format!("the twin's first line is not JSON: {line:?}"))?;
    ensure!(
        value.get("ready") == Some(&Value::Bool(true)),
        "the twin did not say it was ready: {line:?}"
    );
    let torch = value.get("torch").and_then(Value::as_str);
    Ok(torch
        .context("the twin did not give torch's version")?
        .to_string())
}

/// The wall times of a twin's reply, `{"ms": [1.2, 1.3]}`.
pub fn parse_times(line: &str) -> Result<Vec<f64>> {
    let value: Value = serde_json::from_str(line.trim())
        .with_context(|| format!("the twin's reply is not JSON: {line:?}"))?;
    let times = value
        .get("ms")
        .and_then(Value::as_array)
        .with_context(|| format!("the twin's reply has no \"ms\" list: {line:?}"))?;
    times
        .iter()
        .map(|t| t.as_f64().context("a time in \"ms\" is not a number"))
        .collect()
}

/// How many steps each side runs per turn: about `turn_ms` of work, at least
/// 2 and at most 1,000, for a step that takes `step_ms`.
pub fn steps_per_turn(step_ms: f64, turn_ms: f64) -> usize {
    if step_ms.is_finite() && step_ms > 0.0 {
        ((turn_ms / step_ms).round() as usize).clamp(2, 1000)
    } else {
        2
    }
}

/// The phases a chapter binary's log reports, `(label, seconds)`: the lines
/// `dudl::progress::Progress::finish` prints off a terminal,
/// `LeNet                        [#####…]   1875/1875     9.8s  test 98.1%`.
pub fn parse_phases(log: &str) -> Vec<(String, f64)> {
    log.lines()
        .filter_map(|line| {
            let (label, rest) = line.split_once(" [")?;
            let (bar, rest) = rest.split_once("] ")?;
            if !bar.chars().all(|c| c == '#' || c == '-') {
                return None;
            }
            let mut fields = rest.split_whitespace();
            let (done, total) = fields.next()?.split_once('/')?;
            done.parse::<usize>().ok()?;
            total.parse::<usize>().ok()?;
            let seconds = fields.next()?.strip_suffix('s')?.parse().ok()?;
            Some((label.trim().to_string(), seconds))
        })
        .collect()
}

/// The last one-minute load average from `/proc/loadavg`, if the system has it.
pub fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The CPU's model name from `/proc/cpuinfo`, if the system has it.
pub fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_minimum_of_odd_and_even_counts() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min), (2.0, 1.0));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((even.median, even.min), (2.5, 1.0));
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn twin_lines_are_parsed() {
        let ready = r#"{"ready": true, "torch": "2.15.0+cpu"}"#;
        assert_eq!(parse_ready(ready).unwrap(), "2.15.0+cpu");
        assert!(parse_ready(r#"{"torch": "2.15.0"}"#).is_err());
        assert!(parse_ready("Traceback (most recent call last):").is_err());
        assert_eq!(parse_times(r#"{"ms": [1.5, 2]}"#).unwrap(), [1.5, 2.0]);
        assert!(parse_times(r#"{"ms": ["x"]}"#).is_err());
        assert!(parse_times(r#"{"s": []}"#).is_err());
    }

    #[test]
    fn phases_are_read_from_a_chapter_log() {
        let log = "==> ch03\n\
            LeNet                        [########################]   1875/1875     9.8s  test 98.1%\n\
            MLP                          [########################]    625/625      1.2s  done\n\
            a line [with brackets] 3/4 1.0s\n";
        assert_eq!(
            parse_phases(log),
            [("LeNet".to_string(), 9.8), ("MLP".to_string(), 1.2)]
        );
    }

    #[test]
    fn turns_hold_a_bounded_number_of_steps() {
        assert_eq!(steps_per_turn(10.0, 200.0), 20);
        assert_eq!(steps_per_turn(0.01, 200.0), 1000);
        assert_eq!(steps_per_turn(500.0, 200.0), 2);
        assert_eq!(steps_per_turn(f64::NAN, 200.0), 2);
    }

    #[test]
    fn a_missing_twin_is_an_error_that_names_it() {
        let err = Twin::start("ch99", 1, 0).err().unwrap();
        assert!(err.to_string().contains("ch99.py"), "{err}");
    }

    #[test]
    fn a_twin_that_cannot_start_says_why_in_one_line() {
        // As a harness without torch does: a traceback, then exit.
        let dir = std::env::temp_dir().join(format!("bench-twin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ch00.py"), "").unwrap();
        let harness = "import sys\nprint('Traceback', file=sys.stderr)\n\
                       raise SystemExit(\"No module named 'torch'\")\n";
        std::fs::write(dir.join("harness.py"), harness).unwrap();
        let result = Twin::start_in(&dir, "ch00", 1, 0);
        std::fs::remove_dir_all(&dir).unwrap();
        let err = result.err().expect("a failing twin must not start");
        assert_eq!(err.to_string(), "No module named 'torch'");
    }
}
