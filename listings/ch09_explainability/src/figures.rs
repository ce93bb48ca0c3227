//! The chapter's figures: labelled grids of explanations and the curves behind the
//! completeness and randomization claims, all SVG.

use crate::experiments::{Randomization, CELL, CELLS};
use crate::sanity::LAYERS;
use anyhow::{Context, Result};
use dudl::figure::{
    save_svg, write_atomic, Colormap, Legend, LineChart, PixelGrid, FONT,
};
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

/// Labels around a grid of tiles: one title per column, one per row (or
/// none).
pub struct Labels<'a> {
    pub columns: &'a [&'a str],
    pub rows: &'a [String],
}

/// Saves rows of equally sized tiles as an SVG: the tiles as one embedded
/// PNG (grey for values in `[0, 1]`, or blue–white–red for `[-1, 1]`), the
/// column titles above it and the row titles to its left.
pub fn labelled_grid(
    path: &Path,
    rows: &[Vec<Vec<f32>>],
    side: usize,
    colormap: Colormap,
    labels: &Labels,
) -> Result<()> {
    let tiles: Vec<Vec<f32>> = rows.iter().flatten().cloned().collect();
    let columns = rows[0].len();
    let range = match colormap {
        Colormap::Diverging => (-1.0, 1.0),
        _ => (0.0, 1.0),
    };
    let grid = PixelGrid {
        tiles: &tiles,
        height: side,
        width: side,
        columns,
        scale: SCALE,
        colormap,
        range,
    };
    let scratch = std::env::temp_dir().join(format!(
        "ch09-{}-{}",
        std::process::id(),
        path.file_name()
            .context("a figure path names a file")?
            .to_string_lossy()
    ));
    grid.save_png(&scratch)?;
    let png =
        std::fs::read(&scratch).context("reading back the rendered grid")?;
    std::fs::remove_file(&scratch).context("removing the scratch grid")?;
    let tile = side as u32 * SCALE + 1;
    let (grid_w, grid_h) =
        (columns as u32 * tile + 1, rows.len() as u32 * tile + 1);
    let left = if labels.rows.is_empty() {
        0
    } else {
        ROW_TITLES
    };
    let (width, height) = (left + grid_w, COLUMN_TITLES + grid_h);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"{FONT}\" font-size=\"{TEXT}\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
    );
    for (c, title) in labels.columns.iter().enumerate() {
        let x = left + c as u32 * tile + tile / 2;
        svg += &format!(
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{title}</text>\n",
            COLUMN_TITLES - 9
        );
    }
    for (r, title) in labels.rows.iter().enumerate() {
        let y = COLUMN_TITLES + r as u32 * tile + tile / 2 + TEXT / 3;
        svg += &format!(
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{title}</text>\n",
            left - 10
        );
    }
    svg += &format!(
        "<image x=\"{left}\" y=\"{COLUMN_TITLES}\" width=\"{grid_w}\" \
         height=\"{grid_h}\" href=\"data:image/png;base64,{}\"/>\n</svg>\n",
        base64(&png)
    );
    write_atomic(path, svg.as_bytes())
}

/// Height of the column titles' band, width of the row titles' band and the
/// font size, in pixels.
const COLUMN_TITLES: u32 = 34;
const ROW_TITLES: u32 = 190;
const TEXT: u32 = 20;

/// `bytes` in standard base64 with padding (RFC 4648), for a `data:` URL.
pub fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
