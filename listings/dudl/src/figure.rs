//! The book's figure style, and figures written atomically.
//!
//! Plots are SVG drawn by plotters with no system fonts: the text is left to the browser, in
//! the font family [`FONT`]. Pixel grids (filters, feature maps, samples) are PNG, upscaled
//! with nearest neighbour so every pixel stays a crisp square. Every file is first written
//! to a temporary name beside its destination and then renamed, so a figure on disk is
//! either the old one or the new one, never half of one.
//!
//! A figure is a grid of [`Panel`]s: [`LineChart`], [`Heatmap`] or [`DecisionMap`].

use crate::data::Points2d;
use anyhow::{anyhow, ensure, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Font family of every label; the browser resolves it.
pub const FONT: &str = "sans-serif";
/// Size of one panel in pixels.
pub const PANEL: (u32, u32) = (640, 400);
/// Colour-blind-safe palette (Okabe–Ito): series `i` is drawn in `PALETTE[i % 6]`.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];
const GRID: RGBColor = RGBColor(232, 232, 232);

/// The colour of series or class `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
/// Creates the parent directory when needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the figure directory {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let written =
        std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.with_context(|| format!("cannot write the figure {}", path.display()))
}

/// A plotters error as an `anyhow` error, for `map_err` in a panel's `draw`.
pub fn plot_error(err: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("plotting failed: {err:?}")
}

/// Draws `chart`'s legend at `position`, in the style of every figure: a white,
/// slightly transparent box with a grey border.
pub fn draw_legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: Legend,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(190, 190, 190))
        .draw()
        .map_err(plot_error)
}

/// The drawing area a panel draws into.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One panel of a figure.
pub trait Panel {
    /// Draws the panel into `area`.
    fn draw(&self, area: &Area) -> Result<()>;
}

/// Saves `panels` as one SVG figure, `columns` panels a row, each [`PANEL`] pixels.
pub fn save_svg(path: &Path, panels: &[&dyn Panel], columns: usize) -> Result<()> {
    ensure!(
        !panels.is_empty() && columns > 0,
        "a figure needs at least one panel"
    );
    let rows = panels.len().div_ceil(columns);
    let size = (
        PANEL.0 * columns.min(panels.len()) as u32,
        PANEL.1 * rows as u32,
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let areas = root.split_evenly((rows, columns.min(panels.len())));
        for (panel, area) in panels.iter().zip(&areas) {
            panel.draw(area)?;
        }
        root.present().map_err(plot_error)?;
    }
    write_atomic(path, svg.as_bytes())
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    Line,
    Dots,
}

struct Series {
    label: String,
    points: Vec<(f64, f64)>,
    mark: Mark,
}

/// Where a chart's legend goes.
pub use plotters::chart::SeriesLabelPosition as Legend;

/// A chart of lines and dots: built with [`LineChart::new`], then `.line(..)`, `.dots(..)`.
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    log_y: bool,
    y_range: Option<(f64, f64)>,
    legend: Legend,
}

impl LineChart {
    /// An empty chart; label the axes with their units.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            log_y: false,
            y_range: None,
            legend: Legend::UpperRight,
        }
    }

    /// Adds a line through `points`, in the next palette colour.
    pub fn line(self, label: &str, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        self.with_series(label, points, Mark::Line)
    }

    /// Adds a scatter of `points`, in the next palette colour.
    pub fn dots(self, label: &str, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        self.with_series(label, points, Mark::Dots)
    }

    fn with_series(
        mut self,
        label: &str,
        points: impl IntoIterator<Item = (f64, f64)>,
        mark: Mark,
    ) -> Self {
        self.series.push(Series {
            label: label.into(),
            points: points.into_iter().collect(),
            mark,
        });
        self
    }

    /// Draws the y axis on a log scale (non-positive values are clipped to the smallest
    /// positive one).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Fixes the y range instead of fitting it to the data.
    pub fn y_range(mut self, low: f64, high: f64) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// Moves the legend.
    pub fn legend(mut self, at: Legend) -> Self {
        self.legend = at;
        self
    }

    /// The y coordinate as drawn: `log10(y)` on a log axis.
    fn plot_y(&self, y: f64, floor: f64) -> f64 {
        if self.log_y {
            y.max(floor).log10()
        } else {
            y
        }
    }

    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>, f64) {
        let all = || {
            self.series
                .iter()
                .flat_map(|s| &s.points)
                .filter(|p| p.0.is_finite() && p.1.is_finite())
        };
        let floor = all()
            .map(|p| p.1)
            .filter(|&y| y > 0.0)
            .fold(f64::INFINITY, f64::min);
        let floor = if floor.is_finite() { floor } else { 1e-12 };
        let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
        let (y0, y1) = match self.y_range {
            Some((low, high)) => (self.plot_y(low, floor), self.plot_y(high, floor)),
            None => {
                let ys = all().map(|p| self.plot_y(p.1, floor));
                let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                    (a.min(y), b.max(y))
                });
                let pad = 0.05 * (y1 - y0).max(1e-9);
                (y0 - pad, y1 + pad)
            }
        };
        let widen = |a: f64, b: f64| if a < b { a..b } else { a - 0.5..a + 0.5 };
        (widen(x0, x1), widen(y0, y1), floor)
    }
}

impl Panel for LineChart {
    fn draw(&self, area: &Area) -> Result<()> {
        ensure!(
            !self.series.is_empty(),
            "the chart `{}` has no series",
            self.title
        );
        let (x_range, y_range, floor) = self.ranges();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, 20))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, y_range)
            .map_err(plot_error)?;
        // On a log axis only the powers of ten get a label.
        let log_label = |v: &f64| {
            let decade = v.round();
            if (v - decade).abs() < 1e-6 {
                tick_label(10f64.powf(decade))
            } else {
                String::new()
            }
        };
        let linear_label = |v: &f64| tick_label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .y_labels(if self.log_y { 30 } else { 10 })
            .x_label_formatter(&linear_label)
            .y_label_formatter(if self.log_y {
                &log_label
            } else {
                &linear_label
            });
        mesh.draw().map_err(plot_error)?;
        for (i, series) in self.series.iter().enumerate() {
            let style = color(i).stroke_width(2);
            let points = series
                .points
                .iter()
                .map(|&(x, y)| (x, self.plot_y(y, floor)));
            let drawn = match series.mark {
                Mark::Line => chart.draw_series(LineSeries::new(points, style)),
                Mark::Dots => chart
                    .draw_series(points.map(|p| Circle::new(p, 3, color(i).mix(0.75).filled()))),
            };
            drawn
                .map_err(plot_error)?
                .label(&series.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        draw_legend(&mut chart, self.legend.clone())
    }
}

/// A tick label with no trailing zeros: `10`, `0.25`, `1e-5`.
fn tick_label(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        format!("{value:.0e}")
    } else {
        let rounded = format!("{value:.4}");
        rounded
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// A colormap from `t ∈ [0, 1]` to a colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Colormap {
    /// Dark blue → green → yellow: for magnitudes.
    Viridis,
    /// Blue → white → red: for signed values, white at the middle of the range.
    Diverging,
    /// Black → white.
    Gray,
}

impl Colormap {
    /// The colour at `t`, clamped to `[0, 1]`.
    pub fn rgb(self, t: f64) -> [u8; 3] {
        const VIRIDIS: [[f64; 3]; 5] = [
            [68., 1., 84.],
            [59., 82., 139.],
            [33., 145., 140.],
            [94., 201., 98.],
            [253., 231., 37.],
        ];
        const DIVERGING: [[f64; 3]; 3] = [[33., 102., 172.], [247., 247., 247.], [178., 24., 43.]];
        const GRAY: [[f64; 3]; 2] = [[0., 0., 0.], [255., 255., 255.]];
        let stops: &[[f64; 3]] = match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::Diverging => &DIVERGING,
            Colormap::Gray => &GRAY,
        };
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) } * (stops.len() - 1) as f64;
        let i = (t.floor() as usize).min(stops.len() - 2);
        let f = t - i as f64;
        std::array::from_fn(|c| (stops[i][c] + f * (stops[i + 1][c] - stops[i][c])).round() as u8)
    }
}

/// `value` mapped into `[0, 1]` by `range`.
fn normalise(value: f32, (low, high): (f32, f32)) -> f64 {
    ((value - low) / (high - low).max(f32::MIN_POSITIVE)) as f64
}

/// A labelled heatmap of a `rows × cols` matrix (row 0 at the top), with a colour bar.
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Row-major values, `rows * cols` of them.
    pub values: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
    /// One label per column (empty: column numbers).
    pub x_ticks: Vec<String>,
    /// One label per row (empty: row numbers).
    pub y_ticks: Vec<String>,
    pub colormap: Colormap,
    /// The values mapped to the two ends of the colormap.
    pub range: (f32, f32),
}

/// The label of a heatmap cell centre: every `count.div_ceil(MAX_TICKS)`-th cell, counted from
/// the top row or the left column, so labels start at 0 however many cells there are.
fn tick(labels: &[String], value: &SegmentValue<i32>, count: usize, flip: bool) -> String {
    const MAX_TICKS: usize = 32;
    match value {
        SegmentValue::CenterOf(i) if (0..count as i32).contains(i) => {
            let i = if flip {
                count - 1 - *i as usize
            } else {
                *i as usize
            };
            if i % count.div_ceil(MAX_TICKS) != 0 {
                return String::new();
            }
            labels.get(i).cloned().unwrap_or_else(|| i.to_string())
        }
        _ => String::new(),
    }
}

impl Panel for Heatmap {
    fn draw(&self, area: &Area) -> Result<()> {
        ensure!(
            self.values.len() == self.rows * self.cols,
            "heatmap `{}`: {} values for {}×{}",
            self.title,
            self.values.len(),
            self.rows,
            self.cols
        );
        let (width, _) = area.dim_in_pixel();
        let (map_area, bar_area) = area.split_horizontally(width.saturating_sub(70));
        let (rows, cols) = (self.rows as i32, self.cols as i32);
        let mut chart = ChartBuilder::on(&map_area)
            .caption(&self.title, (FONT, 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(56)
            // Plotters' integer ranges include their end: `0..cols - 1` has `cols` segments.
            .build_cartesian_2d(
                (0..cols - 1).into_segmented(),
                (0..rows - 1).into_segmented(),
            )
            .map_err(plot_error)?;
        let x_tick = |v: &SegmentValue<i32>| tick(&self.x_ticks, v, self.cols, false);
        let y_tick = |v: &SegmentValue<i32>| tick(&self.y_ticks, v, self.rows, true);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(self.cols)
            .y_labels(self.rows)
            .x_label_formatter(&x_tick)
            .y_label_formatter(&y_tick)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        let cells = (0..self.rows).flat_map(|r| (0..self.cols).map(move |c| (r, c)));
        chart
            .draw_series(cells.map(|(r, c)| {
                let [red, green, blue] = self
                    .colormap
                    .rgb(normalise(self.values[r * self.cols + c], self.range));
                let (x, y) = (c as i32, rows - 1 - r as i32);
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    RGBColor(red, green, blue).filled(),
                )
            }))
            .map_err(plot_error)?;
        draw_colour_bar(&bar_area, self.colormap, self.range)
    }
}

fn draw_colour_bar(area: &Area, colormap: Colormap, (low, high): (f32, f32)) -> Result<()> {
    let (low, high) = (low as f64, high as f64);
    let mut bar = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(50)
        .margin_right(6)
        .y_label_area_size(0)
        .right_y_label_area_size(40)
        .build_cartesian_2d(0.0..1.0, low..high)
        .map_err(plot_error)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_style((FONT, 11))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(plot_error)?;
    const STEPS: usize = 48;
    let step = (high - low) / STEPS as f64;
    bar.draw_series((0..STEPS).map(|i| {
        let [r, g, b] = colormap.rgb((i as f64 + 0.5) / STEPS as f64);
        let y = low + i as f64 * step;
        Rectangle::new([(0.0, y), (1.0, y + step)], RGBColor(r, g, b).filled())
    }))
    .map_err(plot_error)?;
    Ok(())
}

/// A classifier's decisions over the plane, shaded by class and confidence, with the data
/// drawn on top.
pub struct DecisionMap<'a> {
    title: String,
    data: &'a Points2d,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// `(class, confidence)` on a `RESOLUTION × RESOLUTION` grid, row 0 at the bottom.
    grid: Vec<(usize, f32)>,
}

const RESOLUTION: usize = 90;

impl<'a> DecisionMap<'a> {
    /// Evaluates `predict` (a point → its class and the model's confidence in `[0, 1]`) on a
    /// grid covering `data` with a margin.
    pub fn new(
        title: &str,
        data: &'a Points2d,
        predict: impl Fn([f32; 2]) -> (usize, f32),
    ) -> Self {
        let bounds = |axis: usize| {
            let (low, high) = data
                .points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                    (a.min(p[axis] as f64), b.max(p[axis] as f64))
                });
            let margin = 0.1 * (high - low);
            (low - margin, high + margin)
        };
        let (x_range, y_range) = (bounds(0), bounds(1));
        let at = |(low, high): (f64, f64), i: usize| {
            low + (high - low) * (i as f64 + 0.5) / RESOLUTION as f64
        };
        let grid = (0..RESOLUTION)
            .flat_map(|row| (0..RESOLUTION).map(move |col| (row, col)))
            .map(|(row, col)| predict([at(x_range, col) as f32, at(y_range, row) as f32]))
            .collect();
        DecisionMap {
            title: title.into(),
            data,
            x_range,
            y_range,
            grid,
        }
    }

    /// The background colour of a cell: the class colour, stronger with confidence (in four
    /// steps, so neighbouring cells merge into one rectangle).
    fn shade(&self, (class, confidence): (usize, f32)) -> RGBColor {
        let level = (confidence.clamp(0.0, 1.0) * 3.0).round() / 3.0;
        let base = color(class);
        let alpha = 0.12 + 0.3 * level as f64;
        let blend = |c: u8| (255.0 + alpha * (c as f64 - 255.0)).round() as u8;
        RGBColor(blend(base.0), blend(base.1), blend(base.2))
    }
}

impl Panel for DecisionMap<'_> {
    fn draw(&self, area: &Area) -> Result<()> {
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, 20))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(
                self.x_range.0..self.x_range.1,
                self.y_range.0..self.y_range.1,
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(plot_error)?;
        let cell =
            |(low, high): (f64, f64), i: usize| low + (high - low) * i as f64 / RESOLUTION as f64;
        let mut runs = Vec::new();
        for row in 0..RESOLUTION {
            let mut start = 0;
            for col in 1..=RESOLUTION {
                let here = self.shade(self.grid[row * RESOLUTION + start]);
                if col == RESOLUTION || self.shade(self.grid[row * RESOLUTION + col]) != here {
                    runs.push(Rectangle::new(
                        [
                            (cell(self.x_range, start), cell(self.y_range, row)),
                            (cell(self.x_range, col), cell(self.y_range, row + 1)),
                        ],
                        here.filled(),
                    ));
                    start = col;
                }
            }
        }
        chart.draw_series(runs).map_err(plot_error)?;
        for class in 0..self.data.classes {
            let points = self
                .data
                .points
                .iter()
                .zip(&self.data.labels)
                .filter(|(_, &l)| l == class);
            chart
                .draw_series(points.map(|(p, _)| {
                    Circle::new((p[0] as f64, p[1] as f64), 3, color(class).filled())
                }))
                .map_err(plot_error)?
                .label(format!("class {class}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color(class).filled()));
        }
        draw_legend(&mut chart, Legend::UpperRight)
    }
}

/// A grid of equally sized images (filters, feature maps, samples) as one PNG.
pub struct PixelGrid<'a> {
    /// Each tile's row-major values, `height * width` of them.
    pub tiles: &'a [Vec<f32>],
    pub height: usize,
    pub width: usize,
    /// Tiles per row of the figure.
    pub columns: usize,
    /// Each value becomes a `scale × scale` square (nearest neighbour).
    pub scale: u32,
    pub colormap: Colormap,
    /// The values mapped to the two ends of the colormap.
    pub range: (f32, f32),
}

impl PixelGrid<'_> {
    /// Saves the grid as a PNG with a one-pixel white gutter between tiles.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        ensure!(
            self.columns > 0 && self.scale > 0,
            "a pixel grid needs columns and a scale"
        );
        for (i, tile) in self.tiles.iter().enumerate() {
            ensure!(
                tile.len() == self.height * self.width,
                "tile {i} has {} values, not {}×{}",
                tile.len(),
                self.height,
                self.width
            );
        }
        let rows = self.tiles.len().div_ceil(self.columns).max(1);
        let (tile_w, tile_h) = (
            self.width as u32 * self.scale,
            self.height as u32 * self.scale,
        );
        let size = |n: usize, tile: u32| n as u32 * (tile + 1) + 1;
        let mut canvas = image::RgbImage::from_pixel(
            size(self.columns, tile_w),
            size(rows, tile_h),
            image::Rgb([255, 255, 255]),
        );
        for (i, tile) in self.tiles.iter().enumerate() {
            let (x0, y0) = (
                1 + (i % self.columns) as u32 * (tile_w + 1),
                1 + (i / self.columns) as u32 * (tile_h + 1),
            );
            for y in 0..tile_h {
                for x in 0..tile_w {
                    let value =
                        tile[(y / self.scale) as usize * self.width + (x / self.scale) as usize];
                    canvas.put_pixel(
                        x0 + x,
                        y0 + y,
                        image::Rgb(self.colormap.rgb(normalise(value, self.range))),
                    );
                }
            }
        }
        let mut png = std::io::Cursor::new(Vec::new());
        canvas
            .write_to(&mut png, image::ImageFormat::Png)
            .context("cannot encode the PNG")?;
        write_atomic(path, png.get_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dudl-figure-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn colormaps_span_their_stops() {
        assert_eq!(Colormap::Viridis.rgb(0.0), [68, 1, 84]);
        assert_eq!(Colormap::Viridis.rgb(1.0), [253, 231, 37]);
        assert_eq!(Colormap::Diverging.rgb(0.5), [247, 247, 247]);
        assert_eq!(Colormap::Gray.rgb(2.0), [255, 255, 255]);
    }

    #[test]
    fn a_line_chart_is_an_svg_with_its_labels_as_text() {
        let dir = scratch_dir("line");
        let path = dir.join("chart.svg");
        let chart = LineChart::new("Loss", "step", "loss")
            .line("train", (0..10).map(|i| (i as f64, 1.0 / (1.0 + i as f64))))
            .log_y();
        save_svg(&path, &[&chart], 1).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let has_text = |t: &str| svg.contains(&format!(">\n{t}\n</text>"));
        assert!(
            svg.starts_with("<svg") && has_text("train") && has_text("step") && has_text("Loss")
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file is left behind"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = scratch_dir("fail");
        let blocker = dir.join("not-a-dir");
        std::fs::write(&blocker, b"").unwrap();
        let err = write_atomic(&blocker.join("figure.svg"), b"<svg/>").unwrap_err();
        assert!(format!("{err:#}").contains("not-a-dir"), "{err:#}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pixel_grids_are_upscaled_with_gutters() {
        let dir = scratch_dir("png");
        let path = dir.join("grid.png");
        let tiles = vec![vec![0.0, 1.0, 1.0, 0.0]; 3];
        let grid = PixelGrid {
            tiles: &tiles,
            height: 2,
            width: 2,
            columns: 2,
            scale: 4,
            colormap: Colormap::Gray,
            range: (0.0, 1.0),
        };
        grid.save_png(&path).unwrap();
        let png = image::open(&path).unwrap().to_rgb8();
        assert_eq!(png.dimensions(), (2 * 9 + 1, 2 * 9 + 1));
        assert_eq!(png.get_pixel(1, 1).0, [0, 0, 0]);
        assert_eq!(png.get_pixel(5, 1).0, [255, 255, 255]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
