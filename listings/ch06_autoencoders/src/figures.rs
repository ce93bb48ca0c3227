//! The chapter's figures: digit grids (PNG) and code scatters and curves
//! (SVG), in the book's shared style.

use anyhow::Result;
use dudl::data::mnist::{CLASSES, SIDE};
use dudl::figure::{
    plot_error, save_svg, Area, Colormap, LineChart, Panel, PixelGrid, FONT,
};
use plotters::prelude::*;
use std::path::Path;

/// Ten distinguishable colours, one per digit (Tableau 10).
const DIGIT_COLORS: [RGBColor; CLASSES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Saves 28×28 images (values in `[0, 1]`), `columns` a row, as a PNG,
/// black ink on white.
pub fn digit_grid(
    path: &Path,
    images: &[Vec<f32>],
    columns: usize,
) -> Result<()> {
    let inverted: Vec<Vec<f32>> = images
        .iter()
        .map(|image| image.iter().map(|v| 1.0 - v).collect())
        .collect();
    PixelGrid {
        tiles: &inverted,
        height: SIDE,
        width: SIDE,
        columns,
        scale: 3,
        colormap: Colormap::Gray,
        range: (0.0, 1.0),
    }
    .save_png(path)
}

/// Two-dimensional codes coloured by digit, each class labelled at its
/// median code.
pub struct CodeScatter<'a> {
    pub title: &'a str,
    pub codes: &'a [[f32; 2]],
    pub labels: &'a [usize],
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

impl Panel for CodeScatter<'_> {
    fn draw(&self, area: &Area) -> Result<()> {
        let axis = |a: usize| {
            let mut v: Vec<f64> =
                self.codes.iter().map(|c| c[a] as f64).collect();
            v.sort_by(f64::total_cmp);
            // the central 99.5%: a few far outliers must not squash the rest
            let (low, high) =
                (v[v.len() / 400], v[v.len() - 1 - v.len() / 400]);
            let pad = 0.05 * (high - low);
            low - pad..high + pad
        };
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, (FONT, 20))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(54)
            .build_cartesian_2d(axis(0), axis(1))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("code z₁")
            .y_desc("code z₂")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(232, 232, 232))
            .draw()
            .map_err(plot_error)?;
        let points = self.codes.iter().zip(self.labels).map(|(c, &label)| {
            let point = (c[0] as f64, c[1] as f64);
            Circle::new(point, 2, DIGIT_COLORS[label].mix(0.6).filled())
        });
        chart.draw_series(points).map_err(plot_error)?;
        for digit in 0..CLASSES {
            let of_digit = |a: usize| {
                let v = self.codes.iter().zip(self.labels);
                median(
                    v.filter(|(_, &l)| l == digit)
                        .map(|(c, _)| c[a] as f64)
                        .collect(),
                )
            };
            let at = (of_digit(0), of_digit(1));
            let style = TextStyle::from((FONT, 22).into_font())
                .color(&BLACK)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
            chart
                .draw_series(std::iter::once(Circle::new(
                    at,
                    12,
                    WHITE.mix(0.85).filled(),
                )))
                .map_err(plot_error)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    digit.to_string(),
                    at,
                    style,
                )))
                .map_err(plot_error)?;
        }
        Ok(())
    }
}

/// The codes of held-out digits under PCA, the autoencoder and the VAE,
/// one above the other.
pub fn codes(path: &Path, panels: [CodeScatter; 3]) -> Result<()> {
    let [a, b, c] = &panels;
    save_svg(path, &[a, b, c], 1)
}

/// The two ELBO terms per epoch, for each β: `curves[i] = (β, [[rec, kl]])`.
pub fn elbo_terms(path: &Path, curves: &[(f64, &[[f64; 2]])]) -> Result<()> {
    let mut reconstruction = LineChart::new(
        "Reconstruction term −E ln p(x|z)",
        "epoch",
        "nats per image",
    );
    let mut kl = LineChart::new("KL(q(z|x) ‖ p(z))", "epoch", "nats per image");
    for &(beta, curve) in curves {
        let label = format!("β = {beta}");
        let epoch = |i: usize| (i + 1) as f64;
        reconstruction = reconstruction.line(
            &label,
            curve.iter().enumerate().map(|(i, c)| (epoch(i), c[0])),
        );
        kl = kl.line(
            &label,
            curve.iter().enumerate().map(|(i, c)| (epoch(i), c[1])),
        );
    }
    save_svg(path, &[&reconstruction, &kl], 2)
}
