//! The chapter's figures.

use crate::digits::DigitRun;
use crate::dirac::{self, Point};
use crate::game::{
    non_saturating_grad, non_saturating_loss, saturating_grad, saturating_loss,
};
use crate::optimal::{self, QuadraticD, DATA, GENERATOR};
use crate::ring::{self, RingRun};
use anyhow::Result;
use dudl::figure::{save_svg, Colormap, Legend, LineChart, Panel, PixelGrid};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// Left: the two generator losses against `D(G(z))`. Right: the size of
/// their gradients with respect to the logit, on a log scale.
pub fn generator_gradients(path: &Path) -> Result<()> {
    let logits: Vec<f64> = (0..=240).map(|i| -8.0 + 0.05 * i as f64).collect();
    let prob = |l: f64| crate::game::sigmoid(l);
    let losses = LineChart::new(
        "Generator losses",
        "D(G(z)): the discriminator's belief that the fake is real",
        "loss",
    )
    .line(
        "saturating ln(1 − D)",
        logits.iter().map(|&l| (prob(l), saturating_loss(l))),
    )
    .line(
        "non-saturating −ln D",
        logits.iter().map(|&l| (prob(l), non_saturating_loss(l))),
    )
    .y_range(-5.0, 5.0)
    .legend(Legend::UpperRight);
    let grads = LineChart::new(
        "Gradient with respect to the logit ℓ",
        "discriminator logit ℓ on a fake",
        "|∂loss/∂ℓ| (log scale)",
    )
    .line(
        "saturating: σ(ℓ)",
        logits.iter().map(|&l| (l, saturating_grad(l).abs())),
    )
    .line(
        "non-saturating: σ(−ℓ)",
        logits.iter().map(|&l| (l, non_saturating_grad(l).abs())),
    )
    .log_y()
    .legend(Legend::LowerRight);
    save_svg(path, &[&losses, &grads], 2)
}

/// The two densities, `D*` and the trained quadratic discriminator.
pub fn optimal_discriminator(path: &Path, d: &QuadraticD) -> Result<()> {
    let grid = optimal::grid();
    let chart = LineChart::new(
        "A trained discriminator against the optimal D*",
        "x",
        "density, or probability that x is real",
    )
    .line("p_data = N(0, 1)", grid.iter().map(|&x| (x, DATA.pdf(x))))
    .line(
        "p_g = N(1.5, 0.6²)",
        grid.iter().map(|&x| (x, GENERATOR.pdf(x))),
    )
    .line(
        "D*(x) = p_data / (p_data + p_g)",
        grid.iter()
            .map(|&x| (x, optimal::optimal_discriminator(DATA, GENERATOR, x))),
    )
    .dots(
        "trained D(x)",
        grid.iter().step_by(4).map(|&x| (x, d.prob(x))),
    )
    .y_range(0.0, 1.05)
    .legend(Legend::UpperRight);
    save_svg(path, &[&chart], 1)
}

/// Left: the Dirac-GAN's trajectories in the `(θ, ψ)` plane. Right: their
/// distance to the equilibrium at every step, on a log scale.
pub fn dirac_gan(path: &Path, plain: &[Point], r1: &[Point]) -> Result<()> {
    let plane = LineChart::new(
        "Dirac-GAN: simultaneous gradient steps",
        "generator parameter θ",
        "discriminator parameter ψ",
    )
    .line("plain: spirals out", plain.iter().copied())
    .line("with R1 (γ = 1): converges", r1.iter().copied())
    .dots("start", [dirac::START])
    .legend(Legend::UpperLeft);
    let steps = |path: &[Point]| {
        path.iter()
            .enumerate()
            .map(|(t, &p)| (t as f64, dirac::distance(p)))
            .collect::<Vec<_>>()
    };
    let distance = LineChart::new(
        "Distance to the equilibrium (0, 0)",
        "step",
        "‖(θ, ψ)‖ (log scale)",
    )
    .line("plain", steps(plain))
    .line("with R1 (γ = 1)", steps(r1))
    .log_y()
    .legend(Legend::LowerLeft);
    save_svg(path, &[&plane, &distance], 2)
}

/// Ring snapshots: generator samples (first 512) over the data, one panel
/// per snapshot; the vanilla GAN on the top row, PacGAN below.
pub fn ring_snapshots(
    path: &Path,
    vanilla: &RingRun,
    packed: &RingRun,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(0);
    let data = ring::sample_ring(200, &mut rng);
    let pairs = |v: &[f32]| {
        v.chunks_exact(2)
            .take(400)
            .map(|p| (p[0] as f64, p[1] as f64))
            .collect::<Vec<_>>()
    };
    let mut charts = Vec::new();
    for (name, run) in
        [("vanilla GAN", vanilla), ("PacGAN (packs of 4)", packed)]
    {
        for (step, samples) in &run.snapshots {
            let chart =
                LineChart::new(&format!("{name}, step {step}"), "x₁", "x₂")
                    .dots("data", pairs(&data))
                    .dots("generator", pairs(samples))
                    .y_range(-3.0, 3.0)
                    .legend(Legend::UpperRight);
            charts.push(chart);
        }
    }
    let panels: Vec<&dyn Panel> =
        charts.iter().map(|c| c as &dyn Panel).collect();
    save_svg(path, &panels, vanilla.snapshots.len())
}

/// 64 generated digits, 8 a row.
pub fn digit_samples(path: &Path, run: &DigitRun) -> Result<()> {
    PixelGrid {
        tiles: &run.samples[..64],
        height: 28,
        width: 28,
        columns: 8,
        scale: 3,
        colormap: Colormap::Gray,
        range: (0.0, 1.0),
    }
    .save_png(path)
}

/// The discriminator's and the generator's losses, averaged every 50 steps.
pub fn digit_losses(path: &Path, run: &DigitRun) -> Result<()> {
    let chart = LineChart::new(
        "Digit GAN losses (mean of 50 steps)",
        "step",
        "loss (nats)",
    )
    .line(
        "discriminator: −ln D(x) − ln(1 − D(G(z)))",
        run.losses.iter().map(|&(t, d, _)| (t as f64, d)),
    )
    .line(
        "generator: −ln D(G(z))",
        run.losses.iter().map(|&(t, _, g)| (t as f64, g)),
    )
    .y_range(0.0, 3.2)
    .legend(Legend::UpperRight);
    save_svg(path, &[&chart], 1)
}
