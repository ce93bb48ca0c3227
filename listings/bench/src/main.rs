//! `cargo run --release -p bench -- chapters [chNN …] [--no-full] [--record]`
//!
//! Times each chapter's training step against its PyTorch twin (when
//! `python3` can import `torch`; otherwise one `skipped:` line says why),
//! the two sides taking turns, and each chapter's full run (its release
//! binary, writing into a temporary directory). Prints the median and the
//! minimum of each side and the ratio of the medians, Rust ÷ PyTorch.
//! `step chNN N` runs one chapter's step `N` times alone, for a profiler;
//! `tests [--record]` times a warm `cargo test --workspace`.
//! `--record` writes the table to `images/speed/numbers.json`, which the book's appendix "How fast
//! is this?" quotes; chapters not measured keep their recorded numbers.

use anyhow::{bail, ensure, Context, Result};
use bench::steps::{Chapter, Step, CHAPTERS};
use bench::{time_steps, Summary, Twin};
use dudl::numbers::Numbers;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Untimed steps on each side before the first timed one.
const WARMUP: usize = 5;
/// Turns each side takes.
const TURNS: usize = 8;
/// About how long one turn lasts.
const TURN_MS: f64 = 250.0;
/// A pause after each turn: PyTorch's OpenMP workers spin for a while after
/// their last op, and would otherwise hold the cores the other side's turn
/// needs (rayon's workers do the same, more briefly).
const PAUSE: Duration = Duration::from_millis(300);

/// What the command line asked for.
struct Options {
    chapters: Vec<&'static Chapter>,
    full_runs: bool,
    record: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    ensure!(
        args.first().map(String::as_str) == Some("chapters"),
        "usage: cargo run --release -p bench -- chapters [chNN …] [--no-full] [--record]"
    );
    let mut options = Options {
        chapters: Vec::new(),
        full_runs: true,
        record: false,
    };
    for arg in &args[1..] {
        match arg.as_str() {
            "--no-full" => options.full_runs = false,
            "--record" => options.record = true,
            id => match CHAPTERS.iter().find(|c| c.id == id) {
                Some(chapter) => options.chapters.push(chapter),
                None => bail!(
                    "unknown argument `{id}`: expected a chapter ({}), --no-full or --record",
                    CHAPTERS.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
                ),
            },
        }
    }
    if options.chapters.is_empty() {
        options.chapters = CHAPTERS.iter().collect();
    }
    Ok(options)
}

/// One row of the table.
struct Row {
    chapter: &'static Chapter,
    /// Rust's times; `None` when the chapter has no step to time.
    rust: Option<Summary>,
    /// PyTorch's times, or why there are none.
    torch: Result<Summary, String>,
    /// The full run: its wall time in seconds, and its longest phase.
    full_run: Option<FullRun>,
    /// The one-minute load average when the chapter's measurement began.
    load: f64,
}

/// A chapter binary's full run.
struct FullRun {
    seconds: f64,
    /// The phase (a progress bar's label) that took longest, and its seconds.
    longest: Option<(String, f64)>,
}

/// What [`time_step`] measured.
struct Timed {
    rust: Summary,
    /// PyTorch's times, or why there are none.
    torch: Result<Summary, String>,
    /// PyTorch's version, when the twin ran.
    version: Option<String>,
}

/// Times `chapter`'s step and its twin's, taking turns.
/// Also returns PyTorch's version when the twin ran.
fn time_step(
    chapter: &'static Chapter,
    build: fn() -> Result<Step>,
    threads: usize,
) -> Result<Timed> {
    let mut step = build().with_context(|| format!("{}: building the step", chapter.id))?;
    let warm = time_steps(WARMUP, &mut step)?;
    let per_turn =
        bench::steps_per_turn(Summary::of(&warm).map_or(f64::NAN, |s| s.median), TURN_MS);
    let mut twin = Twin::start(chapter.id, threads, WARMUP).map_err(|e| format!("{e:#}"));
    let (mut rust, mut torch) = (Vec::new(), Vec::new());
    for turn in 0..TURNS {
        // Alternate who goes first, so neither side always follows the other.
        let twin_first = turn % 2 == 1;
        if let (true, Ok(t)) = (twin_first, twin.as_mut()) {
            torch.extend(t.time_steps(per_turn)?);
            std::thread::sleep(PAUSE);
        }
        rust.extend(time_steps(per_turn, &mut step)?);
        std::thread::sleep(PAUSE);
        if let (false, Ok(t)) = (twin_first, twin.as_mut()) {
            torch.extend(t.time_steps(per_turn)?);
            std::thread::sleep(PAUSE);
        }
    }
    let version = twin.as_ref().ok().map(|t| t.torch.clone());
    let torch = twin.and_then(|_| Summary::of(&torch).ok_or_else(|| "no PyTorch times".into()));
    Ok(Timed {
        rust: Summary::of(&rust).context("no Rust times")?,
        torch,
        version,
    })
}

/// Builds the chapter binaries (release) with the cargo that runs this one.
fn build_binaries(chapters: &[&Chapter]) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--release", "--quiet"]);
    for chapter in chapters {
        build.args(["-p", chapter.krate]);
    }
    let status = build
        .status()
        .context("cannot run cargo to build the chapters")?;
    ensure!(status.success(), "building the chapter binaries failed");
    let exe = std::env::current_exe().context("where is this binary?")?;
    Ok(exe
        .parent()
        .context("this binary has no directory")?
        .to_path_buf())
}

/// Times `chapter`'s full run; its output goes to a log beside the binaries,
/// its figures to a temporary directory.
fn full_run(bin: &std::path::Path, chapter: &Chapter) -> Result<FullRun> {
    let out = std::env::temp_dir().join(format!("bench-{}-{}", chapter.id, std::process::id()));
    let log_path = bin.join(format!("bench-{}.log", chapter.id));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let start = Instant::now();
    let status = Command::new(bin.join(chapter.krate))
        .arg("--out")
        .arg(&out)
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", chapter.krate))?;
    let seconds = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&out);
    ensure!(
        status.success(),
        "{} failed: see {}",
        chapter.krate,
        log_path.display()
    );
    let log = std::fs::read_to_string(&log_path)
        .with_context(|| format!("cannot read {}", log_path.display()))?;
    let longest = bench::parse_phases(&log)
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1));
    Ok(FullRun { seconds, longest })
}

/// `tests [--record]`: the wall time of `cargo test --workspace` once built
/// (it runs once to build and warm up, then again, timed); `--record` keeps
/// it as `tests_warm` in `images/speed/numbers.json`, beside the table.
fn warm_tests(args: &[String]) -> Result<()> {
    let record = match args {
        [] => false,
        [flag] if flag == "--record" => true,
        _ => bail!("usage: bench tests [--record]"),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let test = || -> Result<f64> {
        let start = Instant::now();
        let status = Command::new(&cargo)
            .args(["test", "--workspace", "--quiet"])
            .stdout(Stdio::null())
            .status()
            .context("cannot run cargo test")?;
        ensure!(status.success(), "cargo test --workspace failed");
        Ok(start.elapsed().as_secs_f64())
    };
    println!("cargo test --workspace: building and warming up …");
    test()?;
    let load = bench::load_average().unwrap_or(f64::NAN);
    let seconds = test()?;
    println!("cargo test --workspace, warm: {seconds:.0} s (load average before: {load:.2})");
    if record {
        let path = dudl::cli::images_dir("speed").join(dudl::numbers::FILE);
        let mut numbers = Numbers::new();
        for (key, quoted) in Numbers::load(&path)?.iter() {
            if !key.starts_with("tests_") {
                numbers.record(key, quoted.value, quoted.text.clone());
            }
        }
        numbers.fixed("tests_warm", seconds, 0);
        numbers.fixed("tests_load", load, 2);
        let dir = path.parent().context("the numbers file has a directory")?;
        println!("recorded {}", numbers.write(dir)?.display());
    }
    Ok(())
}

/// A ratio with two decimals, or three below 0.1 (`0.016`).
fn ratio_text(ratio: f64) -> String {
    let decimals = if ratio < 0.1 { 3 } else { 2 };
    format!("{ratio:.decimals$}")
}

/// `12.3`, `4.56`, `0.789`: three significant digits down to 0.001.
fn ms_text(ms: f64) -> String {
    let decimals = if ms >= 100.0 {
        0
    } else if ms >= 10.0 {
        1
    } else if ms >= 1.0 {
        2
    } else {
        3
    };
    format!("{ms:.decimals$}")
}

fn print_row(row: &Row) {
    let (rust_median, rust_min) = match &row.rust {
        Some(r) => (ms_text(r.median), ms_text(r.min)),
        None => ("-".into(), "-".into()),
    };
    let (torch_median, torch_min, ratio) = match (&row.rust, &row.torch) {
        (Some(r), Ok(t)) => (
            ms_text(t.median),
            ms_text(t.min),
            ratio_text(r.median / t.median),
        ),
        _ => ("-".into(), "-".into(), "-".into()),
    };
    let full = row
        .full_run
        .as_ref()
        .map_or("-".into(), |run| format!("{:.1}", run.seconds));
    println!(
        "{:<5} {:<34} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8} {:>5.2}",
        row.chapter.id,
        row.chapter.step,
        rust_median,
        rust_min,
        torch_median,
        torch_min,
        ratio,
        full,
        row.load
    );
    if let (Some(_), Err(why)) = (&row.rust, &row.torch) {
        println!("      skipped: PyTorch twin not run: {why}");
    }
    if let Some((label, seconds)) = row.full_run.as_ref().and_then(|r| r.longest.as_ref()) {
        println!("      longest phase of the full run: {label}, {seconds:.1} s");
    }
}

fn print_header(threads: usize) {
    println!(
        "CPU, {threads} threads; {TURNS} turns a side, Rust and PyTorch alternating; times in ms"
    );
    println!(
        "{:<5} {:<34} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8} {:>5}",
        "",
        "training step",
        "Rust med",
        "Rust min",
        "Torch med",
        "Torch min",
        "ratio",
        "full s",
        "load"
    );
}

/// Writes the rows to `images/speed/numbers.json`, keeping the chapters
/// measured before and not now.
fn record(rows: &[Row], threads: usize, torch: Option<&str>) -> Result<()> {
    let dir = dudl::cli::images_dir("speed");
    let fresh: Vec<&str> = rows.iter().map(|r| r.chapter.id).collect();
    // Keep what this run did not measure: other chapters' rows, the warm
    // tests, PyTorch's version when no twin ran.
    let keep = |key: &str| {
        let chapter = key.split('_').next().unwrap_or("");
        let other_chapter = CHAPTERS.iter().any(|c| c.id == chapter) && !fresh.contains(&chapter);
        other_chapter || key.starts_with("tests_") || (key == "torch" && torch.is_none())
    };
    let mut numbers = Numbers::new();
    if let Ok(old) = Numbers::load(&dir.join(dudl::numbers::FILE)) {
        for (key, quoted) in old.iter().filter(|(key, _)| keep(key)) {
            numbers.record(key, quoted.value, quoted.text.clone());
        }
    }
    numbers.count("threads", threads);
    numbers.count("turns", TURNS);
    if let Some(version) = torch {
        numbers.record("torch", 0.0, version.split('+').next().unwrap_or(version));
    }
    let cpu = bench::cpu_model().unwrap_or_else(|| "unknown CPU".into());
    numbers.record("cpu", 0.0, cpu);
    for row in rows {
        let id = row.chapter.id;
        numbers.fixed(&format!("{id}_load"), row.load, 2);
        let ms =
            |n: &mut Numbers, key: &str, v: f64| n.record(&format!("{id}_{key}"), v, ms_text(v));
        if let Some(r) = &row.rust {
            ms(&mut numbers, "rust_median", r.median);
            ms(&mut numbers, "rust_min", r.min);
            if let Ok(t) = &row.torch {
                ms(&mut numbers, "torch_median", t.median);
                ms(&mut numbers, "torch_min", t.min);
                let ratio = r.median / t.median;
                numbers.record(&format!("{id}_ratio"), ratio, ratio_text(ratio));
            }
        }
        if let Some(run) = &row.full_run {
            numbers.fixed(&format!("{id}_full_run"), run.seconds, 1);
            if let Some((label, seconds)) = &run.longest {
                let text = format!("{label}, {seconds:.1} s");
                numbers.record(&format!("{id}_longest"), *seconds, text);
            }
        }
    }
    let full_runs: Result<Vec<f64>> = CHAPTERS
        .iter()
        .map(|c| numbers.value(&format!("{}_full_run", c.id)))
        .collect();
    if let Ok(full_runs) = full_runs {
        let total: f64 = full_runs.iter().sum();
        numbers.fixed("full_run_total", total, 0);
        numbers.fixed("full_run_total_minutes", total / 60.0, 1);
    }
    dudl::cli::ensure_writable(&dir)?;
    let path = numbers.write(&dir)?;
    println!("recorded {}", path.display());
    Ok(())
}

fn run(options: Options) -> Result<()> {
    let threads = rayon::current_num_threads();
    let bin = if options.full_runs {
        Some(build_binaries(&options.chapters)?)
    } else {
        None
    };
    print_header(threads);
    // Every step first, then every full run: a full run keeps both cores busy
    // for up to a minute, and the step timed right after it would share the
    // machine with what it leaves behind.
    let mut rows = Vec::new();
    let mut torch_version = None;
    for &chapter in &options.chapters {
        let load = bench::load_average().unwrap_or(f64::NAN);
        let (rust, torch) = match chapter.build {
            Some(build) => {
                eprintln!("{}: timing the training step …", chapter.id);
                let timed = time_step(chapter, build, threads)?;
                torch_version = torch_version.or(timed.version);
                (Some(timed.rust), timed.torch)
            }
            None => (None, Err("no training step timed".to_string())),
        };
        rows.push(Row {
            chapter,
            rust,
            torch,
            full_run: None,
            load,
        });
    }
    if let Some(bin) = &bin {
        for row in &mut rows {
            eprintln!("{}: the full run …", row.chapter.id);
            row.full_run = Some(full_run(bin, row.chapter)?);
        }
    }
    for row in &rows {
        print_row(row);
    }
    println!("ratio = Rust median / PyTorch median; load = 1-minute load average at the start");
    if options.record {
        record(&rows, threads, torch_version.as_deref())?;
    }
    Ok(())
}

/// `step chNN N`: runs `N` steps of one chapter's training step alone and
/// prints their median and minimum, for a profiler
/// (`valgrind --tool=callgrind target/release/bench step ch05 50`).
fn profile(args: &[String]) -> Result<()> {
    let [id, steps] = args else {
        bail!("usage: bench step chNN STEPS");
    };
    let chapter = CHAPTERS
        .iter()
        .find(|c| c.id == id)
        .with_context(|| format!("no chapter `{id}`"))?;
    let build = chapter
        .build
        .with_context(|| format!("{id} has no training step to time"))?;
    let steps: usize = steps.parse().context("STEPS must be a count")?;
    let mut step = build()?;
    let times = time_steps(steps, &mut step)?;
    let summary = Summary::of(&times).context("no steps were run")?;
    println!(
        "{id}: {steps} steps, median {} ms, min {} ms",
        ms_text(summary.median),
        ms_text(summary.min)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("step") => profile(&args[1..]),
        Some("tests") => warm_tests(&args[1..]),
        _ => parse(&args).and_then(run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
