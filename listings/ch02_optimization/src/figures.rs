//! The chapter's figures.

use crate::experiments::Curve;
use crate::generalization::Fit;
use crate::init::Init;
use crate::quadratic::Quadratic;
use crate::task::History;
use anyhow::Result;
use dudl::figure::{
    color, draw_legend, plot_error, save_svg, Area, Legend, LineChart, Panel,
    FONT,
};
use plotters::prelude::*;
use std::path::Path;

/// The mean of each window of `window` losses, placed at the window's last step: a readable
/// curve from noisy minibatch losses.
pub fn window_means(losses: &[f64], window: usize) -> Vec<(f64, f64)> {
    losses
        .chunks(window)
        .enumerate()
        .map(|(i, chunk)| {
            let step = (i * window + chunk.len()) as f64;
            (step, chunk.iter().sum::<f64>() / chunk.len() as f64)
        })
        .collect()
}

/// Optimizer paths drawn over the contours of a 2-D quadratic.
pub struct Trajectories {
    pub title: String,
    pub f: Quadratic,
    /// Named paths, each a list of iterates `[x, y]`.
    pub paths: Vec<(String, Vec<[f64; 2]>)>,
}

impl Panel for Trajectories {
    fn draw(&self, area: &Area) -> Result<()> {
        // Equal scales on both axes (a panel is 1.6 times wider than high), every point
        // inside.
        let e = 1.05
            * self
                .paths
                .iter()
                .flat_map(|(_, p)| p)
                .map(|p| (p[0].abs() / 1.6).max(p[1].abs()))
                .fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, 20))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(-e * 1.6..e * 1.6, -e..e)
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
        // Level sets f = c: f(r u) = r² f(u), so r = √(c / f(u)) along each unit u.
        let start = self.paths.first().map_or([e, e], |p| p.1[0]);
        let top = self.f.value(&start);
        for level in (1..=6).map(|i| top * (i as f64 / 6.0).powi(2)) {
            let ring = (0..=200).map(|k| {
                let t = std::f64::consts::TAU * k as f64 / 200.0;
                let u = [t.cos(), t.sin()];
                let r = (level / self.f.value(&u)).sqrt();
                (r * u[0], r * u[1])
            });
            chart
                .draw_series(LineSeries::new(ring, RGBColor(200, 200, 200)))
                .map_err(plot_error)?;
        }
        for (i, (name, path)) in self.paths.iter().enumerate() {
            let style = color(i).stroke_width(2);
            let points: Vec<(f64, f64)> =
                path.iter().map(|p| (p[0], p[1])).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(plot_error)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], style)
                });
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| Circle::new(p, 2, color(i).filled())),
                )
                .map_err(plot_error)?;
        }
        chart
            .draw_series([Cross::new((0.0, 0.0), 6, BLACK.stroke_width(2))])
            .map_err(plot_error)?;
        draw_legend(&mut chart, Legend::LowerRight)
    }
}

/// Paths on the ill-conditioned quadratic (left) and the error of GD and momentum against
/// the iteration on `diag(1, 100)` (right).
pub fn quadratic(
    path: &Path,
    paths: Trajectories,
    errors: &[(String, Vec<f64>)],
) -> Result<()> {
    let mut chart = LineChart::new(
        "Distance to the minimum, κ = 100",
        "iteration k",
        "‖x_k − x*‖ / ‖x_0 − x*‖",
    )
    .log_y()
    .y_range(1e-7, 10.0);
    for (name, error) in errors {
        let shown = error.iter().take_while(|&&e| e >= 1e-7);
        chart =
            chart.line(name, shown.enumerate().map(|(k, &e)| (k as f64, e)));
    }
    save_svg(path, &[&paths, &chart], 2)
}

/// Minibatch loss against the step for each optimizer on the digits.
pub fn optimizers(path: &Path, curves: &[Curve]) -> Result<()> {
    let mut chart = LineChart::new(
        "Small MLP on the digits (minibatch loss, mean of 25 steps)",
        "step",
        "cross-entropy (nats)",
    )
    .log_y();
    for curve in curves {
        chart =
            chart.line(&curve.name, window_means(&curve.history.losses, 25));
    }
    save_svg(path, &[&chart], 1)
}

/// Per-layer standard deviation at initialization (left) and the training loss of the
/// 30-layer network (right), for each initialization.
pub fn initialization(
    path: &Path,
    stds: &[(Init, Vec<f64>)],
    runs: &[(Init, History)],
) -> Result<()> {
    let mut left = LineChart::new(
        "30-layer ReLU MLP at initialization",
        "layer l",
        "std of pre-activations z_l",
    )
    .log_y()
    .legend(Legend::LowerLeft);
    for (init, std) in stds {
        let points = std.iter().enumerate().map(|(l, &s)| ((l + 1) as f64, s));
        left = left.line(init.name(), points);
    }
    let mut right = LineChart::new(
        "Training it (SGD + momentum, η = 0.01)",
        "step",
        "cross-entropy (nats)",
    )
    .legend(Legend::LowerLeft);
    for (init, history) in runs {
        right = right.line(init.name(), window_means(&history.losses, 20));
    }
    save_svg(path, &[&left, &right], 2)
}

/// The schedules (left), the range test (middle) and training under each schedule (right).
pub fn schedules(
    path: &Path,
    shapes: &[(String, Vec<(f64, f64)>)],
    range: &[(f64, f64)],
    runs: &[Curve],
) -> Result<()> {
    let mut left = LineChart::new("Schedules", "step", "learning rate η");
    for (name, points) in shapes {
        left = left.line(name, points.iter().copied());
    }
    let smoothed: Vec<(f64, f64)> = range
        .chunks(5)
        .map(|c| {
            let n = c.len() as f64;
            let lr = c.iter().map(|p| p.0.log10()).sum::<f64>() / n;
            (lr, c.iter().map(|p| p.1).sum::<f64>() / n)
        })
        .collect();
    let middle = LineChart::new(
        "Learning-rate range test",
        "log₁₀ η",
        "minibatch loss (mean of 5)",
    )
    .legend(Legend::LowerLeft)
    .line("SGD + momentum 0.9", smoothed);
    let mut right = LineChart::new(
        "Training under each schedule",
        "step",
        "minibatch loss (mean of 50)",
    )
    .log_y()
    .legend(Legend::LowerLeft);
    for curve in runs {
        right =
            right.line(&curve.name, window_means(&curve.history.losses, 50));
    }
    save_svg(path, &[&left, &middle, &right], 2)
}

/// Training and validation loss without regularization, with the early-stopping point
/// (left); validation loss with each regularizer (middle); the final losses against the
/// hidden width (right).
pub fn overfitting(
    path: &Path,
    fits: &[Fit],
    widths: &[usize],
    capacity: &[Fit],
) -> Result<()> {
    let plain = &fits[0];
    let points = |f: &dyn Fn(&crate::task::Checkpoint) -> f64, fit: &Fit| {
        fit.history
            .checkpoints
            .iter()
            .map(|c| (c.step as f64, f(c)))
            .collect::<Vec<_>>()
    };
    let left = LineChart::new(
        "200 training digits, no regularization",
        "step",
        "cross-entropy (nats)",
    )
    .log_y()
    .legend(Legend::LowerLeft)
    .line("training loss", points(&|c| c.train_loss, plain))
    .line("validation loss", points(&|c| c.validation_loss, plain))
    .dots(
        "early stopping",
        [(plain.best.step as f64, plain.best.validation_loss)],
    );
    let mut right = LineChart::new(
        "Validation loss with regularization",
        "step",
        "cross-entropy (nats)",
    )
    .y_range(0.15, 0.6)
    .legend(Legend::UpperRight);
    for fit in fits {
        right = right
            .line(&fit.regularizer.name(), points(&|c| c.validation_loss, fit));
    }
    let at_width = |f: &dyn Fn(&Fit) -> f64| {
        widths
            .iter()
            .zip(capacity)
            .map(|(&w, fit)| ((w as f64).log2(), f(fit)))
            .collect::<Vec<_>>()
    };
    let steps = capacity.first().map_or(0, |fit| fit.last().step);
    let sweep = LineChart::new(
        &format!("After {steps} steps, by hidden width"),
        "log₂ hidden width",
        "cross-entropy (nats)",
    )
    .log_y()
    .legend(Legend::LowerLeft)
    .line("training loss", at_width(&|f| f.last().train_loss))
    .line("validation loss", at_width(&|f| f.last().validation_loss))
    .line(
        "best validation loss",
        at_width(&|f| f.best.validation_loss),
    );
    save_svg(path, &[&left, &right, &sweep], 2)
}
