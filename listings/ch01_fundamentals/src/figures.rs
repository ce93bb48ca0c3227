//! The chapter's four figures.

use crate::activations::ACTIVATIONS;
use crate::training::smooth;
use anyhow::Result;
use dudl::data::Points2d;
use dudl::figure::{save_svg, DecisionMap, Legend, LineChart};
use std::path::Path;

/// `activations.svg`: each activation f(z) (left) and its derivative f′(z) (right).
pub fn activations(path: &Path) -> Result<()> {
    let grid: Vec<f64> =
        (0..=320).map(|i| -4.0 + 8.0 * i as f64 / 320.0).collect();
    let mut values =
        LineChart::new("activations f(z)", "pre-activation z", "f(z)")
            .legend(Legend::UpperLeft)
            .y_range(-1.2, 4.0);
    let mut slopes =
        LineChart::new("derivatives f'(z)", "pre-activation z", "f'(z)")
            .legend(Legend::UpperLeft)
            .y_range(-0.2, 1.2);
    for act in ACTIVATIONS {
        values = values.line(act.name, grid.iter().map(|&z| (z, (act.f)(z))));
        slopes = slopes.line(act.name, grid.iter().map(|&z| (z, (act.df)(z))));
    }
    save_svg(path, &[&values, &slopes], 2)
}

/// A model to draw: a title and a point → probability-of-class-1 function.
pub type TitledModel<'a> = (&'a str, &'a dyn Fn([f32; 2]) -> f64);

/// `decision_boundary.svg`: the regions each trained network assigns to the two classes,
/// with the held-out points.
pub fn decision_boundary(
    path: &Path,
    test: &Points2d,
    models: [TitledModel; 2],
) -> Result<()> {
    let maps = models.map(|(title, predict)| {
        DecisionMap::new(title, test, |x| {
            let p = predict(x);
            (usize::from(p > 0.5), (2.0 * p - 1.0).abs() as f32)
        })
    });
    save_svg(path, &[&maps[0], &maps[1]], 2)
}

/// Points of the loss curves: the mean loss of every `window` steps, at the window's end.
fn curve(losses: &[f64], window: usize) -> impl Iterator<Item = (f64, f64)> {
    let means = smooth(losses, window);
    means
        .into_iter()
        .enumerate()
        .map(move |(i, loss)| (((i + 1) * window) as f64, loss))
}

/// `loss_curves.svg`: the training loss of the scratch and the dfdx network, step by step
/// (each point the mean over `window` minibatches).
pub fn loss_curves(
    path: &Path,
    scratch: &[f64],
    dfdx: &[f64],
    window: usize,
) -> Result<()> {
    let chart = LineChart::new(
        "training loss",
        "gradient-descent step",
        "mean squared error (log scale)",
    )
    .log_y()
    .line("scratch engine (f64)", curve(scratch, window))
    .line("dfdx (f32)", curve(dfdx, window));
    save_svg(path, &[&chart], 1)
}

/// `gradient_flow.svg`: ‖Δ⁽ˡ⁾‖ against the hidden layer l, for a deep sigmoid
/// network and a deep ReLU network.
pub fn gradient_flow(path: &Path, sigmoid: &[f64], relu: &[f64]) -> Result<()> {
    let by_layer = |norms: &[f64]| -> Vec<(f64, f64)> {
        norms
            .iter()
            .enumerate()
            .map(|(l, &n)| ((l + 1) as f64, n))
            .collect()
    };
    let chart = LineChart::new(
        "error signal per hidden layer at initialisation",
        &format!(
            "hidden layer l (1 = input side, {} = next to the output)",
            sigmoid.len()
        ),
        "‖Δ⁽ˡ⁾‖ = ‖∂L/∂Z⁽ˡ⁾‖ (log scale)",
    )
    .log_y()
    .legend(Legend::LowerRight)
    .line("sigmoid, LeCun init", by_layer(sigmoid))
    .line("ReLU, He init", by_layer(relu));
    save_svg(path, &[&chart], 1)
}
