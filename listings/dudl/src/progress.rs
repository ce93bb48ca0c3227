//! A progress bar for training loops, drawn on standard error when it is a terminal.
//!
//! Off a terminal (tests, CI, a pipe) it stays silent until [`Progress::finish`], which prints
//! one summary line, so logs stay short.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress of `total` steps of work named `label`.
pub struct Progress {
    label: String,
    total: usize,
    started: Instant,
    last_drawn: Option<Instant>,
    interactive: bool,
}

impl Progress {
    /// Starts a bar for `total` steps.
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        Progress {
            label: label.into(),
            total: total.max(1),
            started: Instant::now(),
            last_drawn: None,
            interactive: std::io::stderr().is_terminal(),
        }
    }

    /// Reports that `done` steps are complete, with a short status such as the current loss.
    /// Redraws at most ten times a second.
    pub fn update(&mut self, done: usize, status: impl Display) {
        if !self.interactive {
            return;
        }
        let now = Instant::now();
        let due = self
            .last_drawn
            .is_none_or(|last| now - last >= Duration::from_millis(100));
        if due || done >= self.total {
            self.last_drawn = Some(now);
            eprint!("\r{}", self.line(done, &status));
            let _ = std::io::stderr().flush();
        }
    }

    /// Ends the bar with a final status and the elapsed time.
    pub fn finish(self, status: impl Display) {
        let line = self.line(self.total, &status);
        if self.interactive {
            eprintln!("\r{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn line(&self, done: usize, status: &dyn Display) -> String {
        const WIDTH: usize = 24;
        let filled = WIDTH * done.min(self.total) / self.total;
        format!(
            "{:<28} [{}{}] {:>6}/{:<6} {:>5.1}s  {}",
            self.label,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            done,
            self.total,
            self.started.elapsed().as_secs_f32(),
            status
        )
    }
}
