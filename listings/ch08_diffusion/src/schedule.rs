//! Noise schedules and the forward process q(x_t | x_0).
//!
//! Time runs `t = 1..=T`; index `t - 1` of each vector holds step `t`.

// ANCHOR: schedule
/// A variance schedule: `beta[t-1]` = β_t and
/// `alpha_bar[t-1]` = ᾱ_t = ∏ (1 − β_s).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub beta: Vec<f64>,
    pub alpha_bar: Vec<f64>,
}

impl Schedule {
    /// The schedule with these β_1..β_T; ᾱ_t is their running product.
    pub fn from_betas(beta: Vec<f64>) -> Self {
        let alpha_bar = beta
            .iter()
            .scan(1.0, |prod, b| {
                *prod *= 1.0 - b;
                Some(*prod)
            })
            .collect();
        Schedule { beta, alpha_bar }
    }

    /// Ho et al.'s linear schedule: β_t from `first` to `last` in `steps`
    /// steps.
    pub fn linear(steps: usize, first: f64, last: f64) -> Self {
        let span = (steps - 1).max(1) as f64;
        Self::from_betas(
            (0..steps)
                .map(|i| first + (last - first) * i as f64 / span)
                .collect(),
        )
    }

    /// Nichol & Dhariwal's cosine schedule: ᾱ(t) = f(t)/f(0) with
    /// f(t) = cos²((t/T + s)/(1 + s) · π/2), β_t clipped at 0.999.
    pub fn cosine(steps: usize) -> Self {
        let s = 0.008;
        let f = |t: usize| {
            let phase = (t as f64 / steps as f64 + s) / (1.0 + s);
            (phase * std::f64::consts::FRAC_PI_2).cos().powi(2)
        };
        Self::from_betas(
            (1..=steps)
                .map(|t| (1.0 - f(t) / f(t - 1)).min(0.999))
                .collect(),
        )
    }

    /// The number of steps T.
    pub fn steps(&self) -> usize {
        self.beta.len()
    }

    /// ᾱ_t, with ᾱ_0 = 1 (no noise yet).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.alpha_bar[t - 1]
        }
    }
}
// ANCHOR_END: schedule

// ANCHOR: forward
/// One draw of x_t ~ q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), given the
/// noise `eps` ~ N(0, I): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.
pub fn noisy(
    schedule: &Schedule,
    x0: &[f32],
    t: usize,
    eps: &[f32],
) -> Vec<f32> {
    let ab = schedule.alpha_bar(t);
    let (signal, noise) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
    x0.iter()
        .zip(eps)
        .map(|(x, e)| signal * x + noise * e)
        .collect()
}
// ANCHOR_END: forward

/// One step of the Markov chain, x_t = √(1 − β_t) x_{t−1} + √β_t ε: what
/// the closed form [`noisy`] summarises.
pub fn step(
    schedule: &Schedule,
    x_prev: &[f32],
    t: usize,
    eps: &[f32],
) -> Vec<f32> {
    let b = schedule.beta[t - 1];
    let (keep, noise) = ((1.0 - b).sqrt() as f32, b.sqrt() as f32);
    x_prev
        .iter()
        .zip(eps)
        .map(|(x, e)| keep * x + noise * e)
        .collect()
}
