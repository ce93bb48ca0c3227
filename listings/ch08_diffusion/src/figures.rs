//! The chapter's figures.

use crate::digits::{self, Digit};
use crate::experiment::{diffuse, Outcome, Schedules, SEED};
use crate::sample::timesteps;
use crate::schedule::noisy;
use anyhow::Result;
use dudl::figure::{save_svg, Colormap, Legend, LineChart, Panel, PixelGrid};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::path::Path;

fn xy(points: &[[f32; 2]]) -> impl Iterator<Item = (f64, f64)> + '_ {
    points.iter().map(|p| (p[0] as f64, p[1] as f64))
}

/// ᾱ_t against t/T for the three schedules.
pub fn schedules(path: &Path) -> Result<()> {
    let s = Schedules::new();
    let curve = |sch: &crate::schedule::Schedule| {
        let total = sch.steps() as f64;
        (0..=sch.steps())
            .map(|t| (t as f64 / total, sch.alpha_bar(t)))
            .collect::<Vec<_>>()
    };
    let chart = LineChart::new("Signal kept: ᾱₜ", "t / T", "ᾱₜ")
        .line("linear, T = 1000", curve(&s.linear))
        .line("cosine, T = 1000", curve(&s.cosine))
        .line("linear, T = 100 (same β range)", curve(&s.short))
        .y_range(0.0, 1.0);
    save_svg(path, &[&chart], 1)
}

/// Scatter panels of point clouds, titled.
fn clouds(
    path: &Path,
    label: &str,
    panels: Vec<(String, Vec<[f32; 2]>)>,
) -> Result<()> {
    let charts: Vec<LineChart> = panels
        .iter()
        .map(|(title, points)| {
            LineChart::new(title, "x₁", "x₂")
                .dots(label, xy(points))
                .y_range(-3.5, 3.5)
                .legend(Legend::LowerRight)
        })
        .collect();
    let refs: Vec<&dyn Panel> =
        charts.iter().map(|c| c as &dyn Panel).collect();
    save_svg(path, &refs, 2)
}

/// The forward process on the held-out points at four steps.
pub fn forward(path: &Path, outcome: &Outcome) -> Result<()> {
    let s = &outcome.schedules.linear;
    let panels = [0, 100, 300, 1000]
        .iter()
        .map(|&t| {
            let title =
                format!("q(xₜ | x₀) at t = {t}, ᾱₜ = {:.3}", s.alpha_bar(t));
            (title, diffuse(s, &outcome.test, t, SEED))
        })
        .collect();
    clouds(path, "held-out points, noised", panels)
}

/// Ancestral sampling at four steps of the reverse chain.
pub fn reverse(path: &Path, outcome: &Outcome) -> Result<()> {
    let total = outcome.ddpm_path.len() - 1;
    let panels = [1000, 300, 100, 0]
        .iter()
        .map(|&t| {
            let title = format!("reverse chain at t = {t}");
            (title, outcome.ddpm_path[total - t].clone())
        })
        .collect();
    clouds(path, "samples", panels)
}

/// Samples over held-out data: DDPM, 10-step DDIM, and the short schedule.
pub fn samples(path: &Path, outcome: &Outcome) -> Result<()> {
    let panel = |title: &str, label: &str, points: &[[f32; 2]]| {
        LineChart::new(title, "x₁", "x₂")
            .dots("held-out data", xy(&outcome.test))
            .dots(label, xy(points))
            .y_range(-3.5, 3.5)
            .legend(Legend::LowerRight)
    };
    let last = outcome.ddpm_path.last().map(Vec::as_slice).unwrap_or(&[]);
    let charts = [
        panel("DDPM, 1000 steps", "samples", last),
        panel("DDIM, 20 steps", "samples", &outcome.ddim_samples),
        panel(
            "short linear schedule (T = 100)",
            "samples",
            &outcome.short_samples,
        ),
    ];
    let refs: Vec<&dyn Panel> =
        charts.iter().map(|c| c as &dyn Panel).collect();
    save_svg(path, &refs, 3)
}

/// Sliced Wasserstein distance to held-out data against sampling steps.
pub fn steps(path: &Path, outcome: &Outcome) -> Result<()> {
    let curve = |points: &[(usize, f64)]| {
        points
            .iter()
            .map(|&(s, d)| ((s as f64).log10(), d))
            .collect::<Vec<_>>()
    };
    let flat = |d: f64| {
        let last = outcome.respaced.last().map_or(1, |p| p.0);
        let ends = [outcome.ddim[0].0, last];
        ends.map(|s| ((s as f64).log10(), d))
    };
    let chart = LineChart::new(
        "Sample quality against sampling steps",
        "log₁₀ sampling steps",
        "sliced W₂ to held-out data",
    )
    .line("DDIM (η = 0)", curve(&outcome.ddim))
    .line("DDPM respaced (η = 1)", curve(&outcome.respaced))
    .line("training data (floor)", flat(outcome.sw_data))
    .y_range(0.0, 1.0);
    save_svg(path, &[&chart], 1)
}

/// Steps at which the digit figure shows the forward process.
pub const DIGIT_STEPS: [usize; 8] = [0, 25, 50, 100, 200, 300, 500, 1000];

/// The forward process on three MNIST test digits (pixels mapped to
/// [−1, 1]), one row per digit, one column per step of [`DIGIT_STEPS`].
pub fn forward_digit(path: &Path) -> Result<()> {
    let mnist = dudl::data::mnist::load(&dudl::data::mnist::default_dir())?;
    let s = Schedules::new().linear;
    let mut tiles = Vec::new();
    for (row, image) in mnist.test.images.iter().take(3).enumerate() {
        let x0: Vec<f32> = image.iter().map(|p| 2.0 * p - 1.0).collect();
        let mut rng = StdRng::seed_from_u64(SEED + row as u64);
        let eps: Vec<f32> =
            (0..x0.len()).map(|_| rng.sample(StandardNormal)).collect();
        for t in DIGIT_STEPS {
            tiles.push(noisy(&s, &x0, t, &eps));
        }
    }
    PixelGrid {
        tiles: &tiles,
        height: dudl::data::mnist::SIDE,
        width: dudl::data::mnist::SIDE,
        columns: DIGIT_STEPS.len(),
        scale: 3,
        colormap: Colormap::Gray,
        range: (-2.0, 2.0),
    }
    .save_png(path)
}

/// A grid of 14×14 digits, `columns` to a row, grey values in `range`,
/// each pixel a `scale × scale` square.
fn digit_grid(
    path: &Path,
    digits: &[Digit],
    columns: usize,
    range: (f32, f32),
    scale: u32,
) -> Result<()> {
    let tiles: Vec<Vec<f32>> = digits.iter().map(|d| d.to_vec()).collect();
    PixelGrid {
        tiles: &tiles,
        height: digits::SIDE,
        width: digits::SIDE,
        columns,
        scale,
        colormap: Colormap::Gray,
        range,
    }
    .save_png(path)
}

/// Digits shown per grid of samples: three rows of ten.
pub const SHOWN: usize = 30;

/// The first [`SHOWN`] of a model's generated digits.
pub fn digit_samples(path: &Path, samples: &[Digit]) -> Result<()> {
    let shown = &samples[..SHOWN.min(samples.len())];
    digit_grid(path, shown, 10, (-1.0, 1.0), 5)
}

/// Steps at which the reverse-path figure shows the pixel model's samples.
pub const REVERSE_STEPS: [usize; 8] = [1000, 800, 600, 400, 200, 100, 40, 0];

/// The DDIM path of the pixel model's first samples, one row per sample,
/// one column per step of [`REVERSE_STEPS`], on the forward figure's grey
/// scale.
pub fn digit_reverse(path: &Path, outcome: &Outcome) -> Result<()> {
    let digits = &outcome.digits;
    let total = outcome.schedules.linear.steps();
    let steps = timesteps(total, digits.budget.sampling_steps);
    // The path's k-th entry is x at steps[k]: show the first at or below t.
    let at = |t: usize| steps.iter().position(|&s| s <= t).unwrap_or(0);
    let mut tiles = Vec::new();
    for sample in 0..digits::PATHS {
        for t in REVERSE_STEPS {
            tiles.push(digits.pixel_path[at(t)][sample]);
        }
    }
    digit_grid(path, &tiles, REVERSE_STEPS.len(), (-2.0, 2.0), 6)
}
