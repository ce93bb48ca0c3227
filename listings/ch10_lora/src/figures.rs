//! The chapter's figures.

use crate::adapt::{Adaptation, Method, HIDDEN};
use crate::planted::{self, Fit, PLANTED};
use anyhow::{anyhow, Result};
use dudl::figure::{
    color, draw_legend, plot_error, save_svg, Area, Legend, LineChart, Panel,
    FONT,
};
use dudl::linalg::{svd, tail_energy};
use plotters::prelude::*;
use std::path::Path;

/// Loss against rank on the planted problem, with the Eckart–Young line.
pub fn planted_rank(path: &Path, fits: &[Fit]) -> Result<()> {
    let ranks = 0..=fits.iter().map(|f| f.rank).max().unwrap_or(0);
    let chart = LineChart::new(
        "planted update of rank 4: loss after training vs the best possible",
        "LoRA rank r",
        "expected loss E‖y − ŷ‖²",
    )
    .line(
        "Eckart–Young: sum of σᵢ² over i > r",
        ranks.map(|r| (r as f64, tail_energy(&PLANTED, r))),
    )
    .dots(
        "LoRA after training",
        fits.iter().map(|f| (f.rank as f64, f.loss)),
    );
    save_svg(path, &[&chart], 1)
}

/// The normalised singular values `σᵢ / σ₁` of a row-major `HIDDEN × HIDDEN`
/// update.
fn normalised_spectrum(update: &[f64]) -> Result<Vec<f64>> {
    let values = svd(update, HIDDEN, HIDDEN)?.values;
    let first = values[0].max(f64::MIN_POSITIVE);
    Ok(values.iter().map(|s| s / first).collect())
}

/// How many singular values the spectrum panels show.
const SHOWN: usize = 24;

/// The singular values of learned updates: on the planted problem (against the
/// planted ones) and on the digits (full fine-tuning against LoRA).
pub fn update_spectrum(
    path: &Path,
    fits: &[Fit],
    adaptation: &Adaptation,
) -> Result<()> {
    let index = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .take(planted::RANKS.len())
            .enumerate()
            .map(|(i, &s)| ((i + 1) as f64, s))
            .collect()
    };
    let mut planted = LineChart::new(
        "planted problem: singular values of (α/r)BA",
        "index i",
        "σᵢ (log scale)",
    )
    .log_y()
    .legend(Legend::UpperRight)
    .line("planted ΔW", index(&PLANTED));
    for fit in fits.iter().filter(|f| [2, 4, 8].contains(&f.rank)) {
        planted = planted
            .dots(&format!("learned, r = {}", fit.rank), index(&fit.learned));
    }
    let first = |method: Method| -> Result<Vec<f64>> {
        let update = adaptation
            .of(method)?
            .updates
            .first()
            .ok_or_else(|| anyhow!("no update for {}", method.label()))?;
        normalised_spectrum(update)
    };
    let shown = |values: Vec<f64>| {
        values
            .into_iter()
            .take(SHOWN)
            .enumerate()
            .map(|(i, s)| ((i + 1) as f64, s))
            .collect::<Vec<_>>()
    };
    let digits = LineChart::new(
        "digits 5–9: singular values of the update to layer 2",
        "index i",
        "σᵢ / σ₁ (log scale)",
    )
    .log_y()
    .legend(Legend::UpperRight)
    .line("full fine-tuning", shown(first(Method::Full)?))
    .dots("LoRA r = 8", shown(first(Method::Lora(8))?));
    save_svg(path, &[&planted, &digits], 1)
}

/// Test accuracy against trainable parameters (log scale): each seed as a dot,
/// the mean of each method as a marker, LoRA's means joined in order of rank.
struct AccuracyVsParameters<'a> {
    adaptation: &'a Adaptation,
}

impl Panel for AccuracyVsParameters<'_> {
    fn draw(&self, area: &Area) -> Result<()> {
        let comparisons = &self.adaptation.comparisons;
        let (low, high) =
            comparisons.iter().fold((f64::MAX, f64::MIN), |(l, h), c| {
                let n = c.trainable as f64;
                (l.min(n), h.max(n))
            });
        let lowest = comparisons
            .iter()
            .flat_map(|c| c.accuracies.iter().copied())
            .fold(1.0, f64::min);
        let mut chart = ChartBuilder::on(area)
            .caption(
                "adapting digits 0–4 → 5–9: accuracy vs trainable parameters",
                (FONT, 20),
            )
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (low / 1.6..high * 1.6).log_scale(),
                (lowest - 0.02).max(0.0)..1.0,
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("trainable parameters (log scale)")
            .y_desc("test accuracy on 5–9")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(232, 232, 232))
            .x_label_formatter(&|v| {
                dudl::numbers::group_thousands(v.round() as usize)
            })
            .draw()
            .map_err(plot_error)?;
        let groups =
            ["head only", "LoRA, r = 1, 2, 4, 8, 16", "full fine-tuning"];
        let group = |method: &Method| match method {
            Method::HeadOnly => 0,
            Method::Lora(_) => 1,
            Method::Full => 2,
        };
        for (i, label) in groups.iter().enumerate() {
            let colour = color(i);
            let chosen: Vec<_> = comparisons
                .iter()
                .filter(|c| group(&c.method) == i)
                .collect();
            let seeds = chosen.iter().flat_map(|c| {
                c.accuracies.iter().map(move |&a| {
                    Circle::new((c.trainable as f64, a), 3, colour.mix(0.45))
                })
            });
            chart.draw_series(seeds).map_err(plot_error)?;
            let means: Vec<(f64, f64)> = chosen
                .iter()
                .map(|c| (c.trainable as f64, c.mean()))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    means.clone(),
                    colour.stroke_width(2),
                ))
                .map_err(plot_error)?;
            chart
                .draw_series(
                    means.iter().map(|&p| Circle::new(p, 6, colour.filled())),
                )
                .map_err(plot_error)?
                .label(format!("{label} (mean of seeds)"))
                .legend(move |(x, y)| {
                    Circle::new((x + 8, y), 6, colour.filled())
                });
        }
        draw_legend(&mut chart, Legend::LowerRight)
    }
}

/// Accuracy against trainable parameters on a log axis.
pub fn accuracy_vs_parameters(
    path: &Path,
    adaptation: &Adaptation,
) -> Result<()> {
    save_svg(path, &[&AccuracyVsParameters { adaptation }], 1)
}
