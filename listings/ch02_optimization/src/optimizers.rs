//! SGD with momentum (heavy ball and Nesterov), RMSprop and Adam, with L2 or decoupled weight
//! decay, from scratch on a flat slice of `f32` parameters `θ`.
//!
//! Each follows dfdx 0.13's conventions operation for operation (its `Sgd`, `RMSprop` and
//! `Adam`), so the tests can hold the two to within 1e-6 over 100 steps.

/// A first-order optimizer: moves `theta` given the gradient `grad` of the loss at `theta`.
pub trait Optimizer {
    /// One step. `theta` and `grad` have the same length on every call.
    fn step(&mut self, theta: &mut [f32], grad: &[f32]);
    /// Sets the learning rate η of the following steps (for schedules).
    fn set_lr(&mut self, lr: f64);
}

// ANCHOR: weight_decay
/// How a penalty `½ λ ‖θ‖²` enters the step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightDecay {
    None,
    /// Add `λ θ` to the gradient, before any averaging or rescaling.
    L2(f64),
    /// Shrink `θ` by `η λ θ` after the step, untouched by the optimizer
    /// (Loshchilov & Hutter's decoupled weight decay: AdamW).
    Decoupled(f64),
}

impl WeightDecay {
    /// The gradient the optimizer sees: `g + λ θ` under L2.
    fn gradient(self, g: f32, theta: f32) -> f32 {
        match self {
            WeightDecay::L2(lambda) => g + lambda as f32 * theta,
            _ => g,
        }
    }

    /// The decoupled shrinkage `η λ θ` added to the step.
    fn shrink(self, lr: f64, theta: f32) -> f32 {
        match self {
            WeightDecay::Decoupled(lambda) => (lambda * lr) as f32 * theta,
            _ => 0.0,
        }
    }
}
// ANCHOR_END: weight_decay

// ANCHOR: sgd
/// SGD with momentum β: `v ← β v + g`, then `θ ← θ − η v` (heavy ball) or
/// `θ ← θ − η (g + β v)` (Nesterov). With β = 0 both are plain SGD.
#[derive(Clone, Debug)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: WeightDecay,
    velocity: Vec<f32>,
}

impl Optimizer for Sgd {
    fn step(&mut self, theta: &mut [f32], grad: &[f32]) {
        self.velocity.resize(theta.len(), 0.0);
        let (lr, beta) = (self.lr as f32, self.momentum as f32);
        for ((p, &g), v) in theta.iter_mut().zip(grad).zip(&mut self.velocity) {
            let g = self.weight_decay.gradient(g, *p);
            *v = g + beta * *v;
            let direction = if self.nesterov { g + beta * *v } else { *v };
            *p -= direction * lr + self.weight_decay.shrink(self.lr, *p);
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}
// ANCHOR_END: sgd

impl Sgd {
    /// SGD with learning rate `lr`, momentum `momentum` and the given weight decay.
    pub fn new(
        lr: f64,
        momentum: f64,
        nesterov: bool,
        weight_decay: WeightDecay,
    ) -> Self {
        Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
            velocity: Vec::new(),
        }
    }
}

// ANCHOR: rmsprop
/// RMSprop: `s ← α s + (1 − α) g²`, then `θ ← θ − η g / √(s + ε)`.
/// dfdx starts the average at `s = 1` (PyTorch at 0) and puts ε inside √.
#[derive(Clone, Debug)]
pub struct RmsProp {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: WeightDecay,
    square_avg: Vec<f32>,
}

impl Optimizer for RmsProp {
    fn step(&mut self, theta: &mut [f32], grad: &[f32]) {
        self.square_avg.resize(theta.len(), 1.0);
        let (lr, alpha) = (self.lr as f32, self.alpha as f32);
        let eps = self.eps as f32;
        for ((p, &g), s) in theta.iter_mut().zip(grad).zip(&mut self.square_avg)
        {
            let g = self.weight_decay.gradient(g, *p);
            *s += (1.0 - alpha) * (g * g - *s);
            let direction = g / (*s + eps).sqrt();
            *p -= direction * lr + self.weight_decay.shrink(self.lr, *p);
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}
// ANCHOR_END: rmsprop

impl RmsProp {
    /// RMSprop with learning rate `lr`, dfdx's defaults `α = 0.9`, `ε = 1e-8`.
    pub fn new(lr: f64, weight_decay: WeightDecay) -> Self {
        RmsProp {
            lr,
            alpha: 0.9,
            eps: 1e-8,
            weight_decay,
            square_avg: Vec::new(),
        }
    }
}

// ANCHOR: adam
/// Adam: moving averages of `g` and `g²`, corrected for their start at 0,
/// `θ ← θ − η m̂ / (√v̂ + ε)`.
#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f64,
    pub betas: [f64; 2],
    pub eps: f64,
    pub weight_decay: WeightDecay,
    t: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Optimizer for Adam {
    fn step(&mut self, theta: &mut [f32], grad: &[f32]) {
        self.m.resize(theta.len(), 0.0);
        self.v.resize(theta.len(), 0.0);
        self.t += 1;
        let [b1, b2] = self.betas.map(|b| b as f32);
        let (lr, eps) = (self.lr as f32, self.eps as f32);
        let (correct1, correct2) =
            (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        let moments = self.m.iter_mut().zip(&mut self.v);
        for ((p, &g), (m, v)) in theta.iter_mut().zip(grad).zip(moments) {
            let g = self.weight_decay.gradient(g, *p);
            *m = *m * b1 + g * (1.0 - b1);
            *v = *v * b2 + g * g * (1.0 - b2);
            let (m_hat, v_hat) = (*m / correct1, *v / correct2);
            let direction = lr * m_hat / (v_hat.sqrt() + eps);
            *p -= direction + self.weight_decay.shrink(self.lr, *p);
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}
// ANCHOR_END: adam

impl Adam {
    /// Adam with learning rate `lr` and the usual `β = (0.9, 0.999)`, `ε = 1e-8`;
    /// with [`WeightDecay::Decoupled`] it is AdamW.
    pub fn new(lr: f64, weight_decay: WeightDecay) -> Self {
        Adam {
            lr,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }
}
