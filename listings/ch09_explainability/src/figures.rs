//! The chapter's figures: pixel grids of explanations (PNG) and the curves behind the
//! completeness and randomization claims (SVG).

use crate::experiments::{Randomization, CELL, CELLS};
use crate::sanity::LAYERS;
use anyhow::Result;
use dudl::figure::{save_svg, Colormap, Legend, LineChart, PixelGrid};
use std::path::Path;

/// Pixels per image pixel in the PNG grids.
const SCALE: u32 = 6;

/// `map` scaled to `[0, 1]` by its own maximum (all zeros stay zero).
pub fn by_max(map: &[f32]) -> Vec<f32> {
    let max = map.iter().cloned().fold(0.0, f32::max);
    map.iter()
        .map(|v| if max > 0.0 { v / max } else { 0.0 })
        .collect()
}

/// `image` scaled to `[0, 1]` from its minimum to its maximum.
pub fn by_range(image: &[f32]) -> Vec<f32> {
    let min = image.iter().cloned().fold(f32::INFINITY, f32::min);
    let max = image.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    image
        .iter()
        .map(|v| (v - min) / (max - min).max(1e-6))
        .collect()
}

/// A `CELLS × CELLS` map blown up to the canvas, each cell `CELL × CELL`.
pub fn upsample(map: &[f32]) -> Vec<f32> {
    let side = CELLS * CELL;
    (0..side * side)
        .map(|i| map[(i / side / CELL) * CELLS + (i % side) / CELL])
        .collect()
}

/// Saves rows of equally sized tiles (already in `[0, 1]`) in grey.
pub fn grey_grid(
    path: &Path,
    rows: &[Vec<Vec<f32>>],
    side: usize,
) -> Result<()> {
    let tiles: Vec<Vec<f32>> = rows.iter().flatten().cloned().collect();
    PixelGrid {
        tiles: &tiles,
        height: side,
        width: side,
        columns: rows[0].len(),
        scale: SCALE,
        colormap: Colormap::Gray,
        range: (0.0, 1.0),
    }
    .save_png(path)
}

/// Saves rows of tiles in `[-1, 1]` with the diverging colormap: blue
/// negative, white zero, red positive.
pub fn signed_grid(
    path: &Path,
    rows: &[Vec<Vec<f32>>],
    side: usize,
) -> Result<()> {
    let tiles: Vec<Vec<f32>> = rows.iter().flatten().cloned().collect();
    PixelGrid {
        tiles: &tiles,
        height: side,
        width: side,
        columns: rows[0].len(),
        scale: SCALE,
        colormap: Colormap::Diverging,
        range: (-1.0, 1.0),
    }
    .save_png(path)
}

/// Mean rank correlation with the trained maps against layers re-initialized.
pub fn cascade_correlation(path: &Path, r: &Randomization) -> Result<()> {
    let curve = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as f64, v))
            .collect()
    };
    let title = format!(
        "Cascading randomization (0 = trained; then {})",
        LAYERS.join(", ")
    );
    let chart = LineChart::new(
        &title,
        "layers re-initialized, from the top",
        "mean Spearman ρ with trained maps",
    )
    .line("gradient |∂y/∂x|", curve(&r.gradient))
    .line("guided backprop", curve(&r.guided))
    .line("Grad-CAM", curve(&r.grad_cam))
    .y_range(-0.2, 1.05)
    .legend(Legend::UpperRight);
    save_svg(path, &[&chart], 1)
}

/// The pooled completeness gap of integrated gradients against the steps.
pub fn completeness(path: &Path, gaps: &[(usize, f64)]) -> Result<()> {
    let points = gaps.iter().map(|&(m, g)| ((m as f64).log2(), g));
    let chart = LineChart::new(
        "Integrated gradients: completeness",
        "log₂ of the number of steps m",
        "|Σ IG − Δy| / |Δy| (pooled)",
    )
    .line("midpoint Riemann sum", points)
    .log_y();
    save_svg(path, &[&chart], 1)
}
