//! The chapter's figures, drawn from the trained models and from the from-scratch code.

use crate::scratch::{conv2d_loops, Batch, Filters, Geometry};
use crate::train::{batch, CurvePoint};
use crate::{Built, NamedCurve, Results};
use anyhow::Result;
use dfdx::prelude::*;
use dudl::data::mnist::{CLASSES, PIXELS, SIDE};
use dudl::figure::{
    plot_error, save_svg, Area, Colormap, Heatmap, Legend, LineChart, Panel, PixelGrid, FONT,
};
use dudl::Dev;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The input, kernel and output position of the convolution-step figure.
pub const STEP_INPUT: [f32; 25] = [
    1., 0., 2., 1., 0., //
    0., 1., 3., 1., 1., //
    2., 1., 0., 0., 2., //
    1., 3., 1., 2., 0., //
    0., 2., 1., 1., 3., //
];
pub const STEP_KERNEL: [f32; 9] = [1., 0., -1., 2., 0., -2., 1., 0., -1.];
/// The output cell `(row, column)` the figure computes.
pub const STEP_OUTPUT: (usize, usize) = (1, 2);

/// The 3×3 output of [`STEP_KERNEL`] (bias 0) on [`STEP_INPUT`], stride 1, no padding.
pub fn step_output() -> Vec<f32> {
    let x = Batch {
        data: STEP_INPUT.to_vec(),
        shape: [1, 1, 5, 5],
    };
    let f = Filters {
        weight: STEP_KERNEL.to_vec(),
        bias: vec![0.0],
        channels: [1, 1],
    };
    let g = Geometry {
        kernel: 3,
        stride: 1,
        padding: 0,
    };
    conv2d_loops(&x, &f, g).data
}

/// A grid of numbered cells, `highlight` (top-left row, column, size) outlined.
struct Grid<'a> {
    values: &'a [f32],
    side: usize,
    origin: (i32, i32),
    caption: &'a str,
    highlight: (usize, usize, usize),
    fill: RGBColor,
}

const CELL: i32 = 44;

impl Grid<'_> {
    fn draw(&self, area: &Area) -> Result<()> {
        let (x0, y0) = self.origin;
        let centre = Pos::new(HPos::Center, VPos::Center);
        let caption = TextStyle::from((FONT, 17).into_font()).pos(centre);
        let width = self.side as i32 * CELL;
        area.draw(&Text::new(self.caption, (x0 + width / 2, y0 - 22), caption))
            .map_err(plot_error)?;
        let number = TextStyle::from((FONT, 17).into_font()).pos(centre);
        let (hr, hc, hs) = self.highlight;
        for (i, v) in self.values.iter().enumerate() {
            let (r, c) = (i / self.side, i % self.side);
            let inside = (hr..hr + hs).contains(&r) && (hc..hc + hs).contains(&c);
            let (x, y) = (x0 + c as i32 * CELL, y0 + r as i32 * CELL);
            let fill = if inside { self.fill } else { WHITE };
            area.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                fill.filled(),
            ))
            .map_err(plot_error)?;
            let border = RGBColor(150, 150, 150).stroke_width(1);
            area.draw(&Rectangle::new([(x, y), (x + CELL, y + CELL)], border))
                .map_err(plot_error)?;
            let text = format!("{v}");
            area.draw(&Text::new(
                text,
                (x + CELL / 2, y + CELL / 2),
                number.clone(),
            ))
            .map_err(plot_error)?;
        }
        let (x, y) = (x0 + hc as i32 * CELL, y0 + hr as i32 * CELL);
        let side = hs as i32 * CELL;
        area.draw(&Rectangle::new(
            [(x, y), (x + side, y + side)],
            BLACK.stroke_width(3),
        ))
        .map_err(plot_error)
    }
}

struct ConvStep;

impl Panel for ConvStep {
    fn draw(&self, area: &Area) -> Result<()> {
        let output = step_output();
        let (row, col) = STEP_OUTPUT;
        let y = 90;
        let window = RGBColor(255, 226, 170);
        let grids = [
            Grid {
                values: &STEP_INPUT,
                side: 5,
                origin: (14, y - 44),
                caption: "input x (5×5)",
                highlight: (row, col, 3),
                fill: window,
            },
            Grid {
                values: &STEP_KERNEL,
                side: 3,
                origin: (290, y),
                caption: "kernel w (3×3)",
                highlight: (0, 0, 3),
                fill: RGBColor(200, 225, 245),
            },
            Grid {
                values: &output,
                side: 3,
                origin: (480, y),
                caption: "output y (3×3)",
                highlight: (row, col, 1),
                fill: window,
            },
        ];
        for grid in &grids {
            grid.draw(area)?;
        }
        let symbol =
            TextStyle::from((FONT, 30).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new("⋆", (260, y + 66), symbol.clone()))
            .map_err(plot_error)?;
        area.draw(&Text::new("=", (450, y + 66), symbol))
            .map_err(plot_error)?;
        let value = output[row * 3 + col];
        let note = format!(
            "y[{row},{col}] = Σ w[i,j] · x[{row}+i, {col}+j] over i, j = 0, 1, 2 = {value}     (stride 1, no padding: 5 − 3 + 1 = 3 outputs a side)"
        );
        let style = TextStyle::from((FONT, 15).into_font());
        area.draw(&Text::new(note, (14, 340), style))
            .map_err(plot_error)
    }
}

/// One step of a 3×3 convolution over a 5×5 input, its numbers computed by
/// [`conv2d_loops`].
pub fn conv_step(path: &Path) -> Result<()> {
    save_svg(path, &[&ConvStep], 1)
}

fn symmetric_range(values: &[f32]) -> (f32, f32) {
    let m = values.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    (-m, m)
}

/// LeNet's six learned 5×5 first-layer filters (blue negative, red positive).
pub fn filters(path: &Path, lenet: &Built<crate::models::LeNet>) -> Result<()> {
    let weight = lenet.0 .0.weight.as_vec();
    let tiles: Vec<Vec<f32>> = weight.chunks(25).map(|t| t.to_vec()).collect();
    PixelGrid {
        tiles: &tiles,
        height: 5,
        width: 5,
        columns: tiles.len(),
        scale: 24,
        colormap: Colormap::Diverging,
        range: symmetric_range(&weight),
    }
    .save_png(path)
}

/// One digit through LeNet: the input and the six conv-1 maps after ReLU (28×28) into
/// `first`, the sixteen conv-2 maps after ReLU (10×10) into `second`.
pub fn feature_maps(
    first: &Path,
    second: &Path,
    lenet: &Built<crate::models::LeNet>,
    image: &[f32; PIXELS],
) -> Result<()> {
    let dev: Dev = lenet.0 .0.weight.device().clone();
    let x = batch::<1>(&dev, &[image]);
    let conv1 = lenet.0 .1.forward(lenet.0 .0.forward(x));
    let pooled = lenet.0 .2.forward(conv1.clone());
    let conv2 = lenet.1 .1.forward(lenet.1 .0.forward(pooled));
    let split = |maps: Vec<f32>, n: usize| -> Vec<Vec<f32>> {
        maps.chunks(n * n).map(|t| t.to_vec()).collect()
    };
    let mut tiles = vec![image.to_vec()];
    tiles.extend(split(conv1.as_vec(), SIDE));
    PixelGrid {
        tiles: &own_maximum(tiles),
        height: SIDE,
        width: SIDE,
        columns: 1 + 6,
        scale: 4,
        colormap: Colormap::Viridis,
        range: (0.0, 1.0),
    }
    .save_png(first)?;
    PixelGrid {
        tiles: &own_maximum(split(conv2.as_vec(), 10)),
        height: 10,
        width: 10,
        columns: 8,
        scale: 10,
        colormap: Colormap::Viridis,
        range: (0.0, 1.0),
    }
    .save_png(second)
}

/// Each tile divided by its own maximum (a map that is zero everywhere stays zero).
fn own_maximum(tiles: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
    tiles
        .into_iter()
        .map(|tile| {
            let max = tile.iter().fold(1e-6f32, |m, &v| m.max(v));
            tile.iter().map(|v| v / max).collect()
        })
        .collect()
}

fn accuracy_points(curve: &[CurvePoint]) -> impl Iterator<Item = (f64, f64)> + '_ {
    curve.iter().map(|p| (p.epoch, 100.0 * p.test_accuracy))
}

/// Held-out accuracy and training loss against epochs, one line per model.
pub fn training_curves(path: &Path, curves: &[NamedCurve]) -> Result<()> {
    let mut accuracy = LineChart::new("held-out accuracy", "epoch", "accuracy (%)")
        .y_range(85.0, 100.0)
        .legend(Legend::LowerRight);
    let mut loss = LineChart::new("training loss", "epoch", "cross-entropy (nats)")
        .log_y()
        .legend(Legend::LowerLeft);
    for (name, curve) in curves {
        accuracy = accuracy.line(name, accuracy_points(curve));
        loss = loss.line(name, curve.iter().map(|p| (p.epoch, p.train_loss)));
    }
    save_svg(path, &[&accuracy, &loss], 1)
}

/// LeNet's confusion matrix on the held-out images; the colour saturates at 20 so that the
/// mistakes show.
pub fn confusion(path: &Path, matrix: &[[usize; CLASSES]; CLASSES]) -> Result<()> {
    let digits: Vec<String> = (0..CLASSES).map(|d| d.to_string()).collect();
    let heatmap = Heatmap {
        title: "LeNet: held-out images by true and predicted digit".into(),
        x_label: "predicted digit".into(),
        y_label: "true digit".into(),
        values: matrix.iter().flatten().map(|&c| c as f32).collect(),
        rows: CLASSES,
        cols: CLASSES,
        x_ticks: digits.clone(),
        y_ticks: digits,
        colormap: Colormap::Viridis,
        range: (0.0, 20.0),
    };
    save_svg(path, &[&heatmap], 1)
}

/// Held-out accuracy against the shift, one line per model.
pub fn shift(path: &Path, shifts: &[(&str, Vec<f64>)]) -> Result<()> {
    let mut chart = LineChart::new(
        "digits shifted right, left, down or up",
        "shift (pixels)",
        "held-out accuracy (%)",
    )
    .y_range(0.0, 100.0)
    .legend(Legend::LowerLeft);
    for (name, accuracies) in shifts {
        let points = accuracies.iter().enumerate();
        chart = chart.line(name, points.map(|(d, a)| (d as f64, 100.0 * a)));
    }
    save_svg(path, &[&chart], 1)
}

/// Held-out accuracy against training images seen: batch norm on and off, residual
/// blocks on and off.
pub fn depth(path: &Path, results: &Results) -> Result<()> {
    let chart = |title: &str, curves: &[NamedCurve; 2], images: usize| {
        let x_label = "training images seen (thousands)";
        let empty = LineChart::new(title, x_label, "held-out accuracy (%)")
            .y_range(0.0, 100.0)
            .legend(Legend::LowerRight);
        curves.iter().fold(empty, |chart, (name, curve)| {
            let thousands = images as f64 / 1000.0;
            let points = curve
                .iter()
                .map(|p| (p.epoch * thousands, 100.0 * p.test_accuracy));
            chart.line(name, points)
        })
    };
    let budget = &results.budget;
    let bn = chart(
        "GAP CNN: batch norm on and off",
        &results.batch_norm,
        budget.train_images,
    );
    let res = chart(
        "ten convolutions: plain or residual blocks",
        &results.residual,
        budget.depth_images,
    );
    save_svg(path, &[&bn, &res], 1)
}
