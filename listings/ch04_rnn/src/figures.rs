//! The chapter's figures, drawn from the experiments' results.

use crate::adding::BASELINE_MSE;
use crate::gates::GateTrace;
use crate::train::CurvePoint;
use anyhow::Result;
use dudl::figure::{save_svg, Colormap, Heatmap, Legend, LineChart};
use std::path::Path;

/// `‖(∂h_T/∂h_t)ᵀu‖` against the distance `T − t`, log scale, one line per
/// cell.
pub fn gradient_across_time(
    path: &Path,
    lines: &[(&str, &[f64])],
) -> Result<()> {
    let chart = lines.iter().fold(
        LineChart::new(
            "gradient reaching back from h_T, at initialisation",
            "distance in time T − t (steps)",
            "‖(∂h_T/∂h_t)ᵀ u‖",
        ),
        |chart, (label, norms)| {
            chart.line(
                label,
                norms.iter().enumerate().map(|(k, &g)| (k as f64, g)),
            )
        },
    );
    save_svg(path, &[&chart.log_y().legend(Legend::LowerLeft)], 1)
}

/// Held-out MSE against the step (log scale), with the predict-1 baseline.
pub fn adding_curves(
    path: &Path,
    curves: &[(&str, &[CurvePoint])],
) -> Result<()> {
    let last = curves
        .iter()
        .flat_map(|(_, c)| c.last())
        .map(|p| p.step as f64)
        .fold(0.0, f64::max);
    let chart = curves.iter().fold(
        LineChart::new(
            "adding problem, T = 50: held-out error",
            "Adam step",
            "mean squared error",
        ),
        |chart, (label, curve)| {
            chart.line(label, curve.iter().map(|p| (p.step as f64, p.held_out)))
        },
    );
    let chart = chart
        .line(
            "predict 1 (MSE 1/6)",
            [(0.0, BASELINE_MSE), (last, BASELINE_MSE)],
        )
        .log_y()
        .legend(Legend::LowerLeft);
    save_svg(path, &[&chart], 1)
}

/// The points of a curve up to (not including) its first non-finite loss.
fn finite(curve: &[CurvePoint]) -> impl Iterator<Item = &CurvePoint> {
    curve
        .iter()
        .take_while(|p| p.loss.is_finite() && p.held_out.is_finite())
}

/// Training loss and largest gradient norm against the step, with and without
/// clipping.
pub fn clipping(path: &Path, runs: &[(&str, &[CurvePoint])]) -> Result<()> {
    let loss = runs.iter().fold(
        LineChart::new(
            "training loss (ends where it overflows)",
            "SGD step",
            "MSE",
        ),
        |chart, (label, curve)| {
            chart.line(label, finite(curve).map(|p| (p.step as f64, p.loss)))
        },
    );
    let norms = runs.iter().fold(
        LineChart::new(
            "largest gradient norm, before clipping",
            "SGD step",
            "‖g‖",
        ),
        |chart, (label, curve)| {
            let points =
                finite(curve).map(|p| (p.step as f64, p.max_gradient_norm));
            chart.line(label, points)
        },
    );
    let loss = loss.log_y().legend(Legend::UpperRight);
    save_svg(path, &[&loss, &norms.log_y().legend(Legend::UpperRight)], 1)
}

/// Greedy token accuracy against the sequence length, with chance (1 in 10).
pub fn bottleneck(path: &Path, accuracy: &[(usize, f64)]) -> Result<()> {
    let points = || accuracy.iter().map(|&(len, a)| (len as f64, a));
    let last = accuracy.last().map_or(1.0, |p| p.0 as f64);
    let chart = LineChart::new(
        "GRU encoder–decoder without attention, reversing digits",
        "sequence length T",
        "held-out token accuracy",
    )
    .line("greedy decoding", points())
    .line("chance (0.1)", [(0.0, 0.1), (last, 0.1)])
    .y_range(0.0, 1.0);
    save_svg(path, &[&chart], 1)
}

/// One sequence's input gate, unit by unit and step by step, and the most
/// selective unit's input and forget gates with the marked steps.
pub fn lstm_gates(
    path: &Path,
    trace: &GateTrace,
    unit: usize,
    hidden: usize,
) -> Result<()> {
    let steps = trace.input.len() / hidden;
    let column = |values: &[f32]| -> Vec<(f64, f64)> {
        (0..steps)
            .map(|t| (t as f64, values[t * hidden + unit] as f64))
            .collect()
    };
    let marks = column(&trace.input)
        .into_iter()
        .filter(|(t, _)| trace.marks.contains(&(*t as usize)));
    // The y range leaves room above the forget gate (near 1) for the legend.
    let chart = LineChart::new(
        &format!("unit {unit}: gates along one sequence"),
        "time step t",
        "gate activation",
    )
    .line("input gate i_t", column(&trace.input))
    .line("forget gate f_t", column(&trace.forget))
    .dots("i_t at the marked steps", marks)
    .y_range(0.0, 1.5)
    .legend(Legend::UpperRight);
    // Units as rows, steps as columns.
    let transposed = (0..hidden)
        .flat_map(|j| (0..steps).map(move |t| (t, j)))
        .map(|(t, j)| trace.input[t * hidden + j])
        .collect();
    let heatmap = Heatmap {
        title: format!(
            "input gates of all units; marked steps {} and {}",
            trace.marks[0], trace.marks[1]
        ),
        x_label: "time step t".into(),
        y_label: "unit".into(),
        values: transposed,
        rows: hidden,
        cols: steps,
        x_ticks: Vec::new(),
        y_ticks: Vec::new(),
        colormap: Colormap::Viridis,
        range: (0.0, 1.0),
    };
    save_svg(path, &[&chart, &heatmap], 1)
}
