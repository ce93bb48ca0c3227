//! Gradient-based explanations of one class logit `y_c`: the vanilla gradient, SmoothGrad and
//! integrated gradients; and occlusion, which needs no gradient at all.

use crate::model::{
    class_gradients, logits_of, Batch, Model, Rectifier, CHUNK,
};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

// ANCHOR: vanilla
/// Simonyan et al.'s saliency map: `|∂y_c / ∂x|` at every pixel.
pub fn vanilla_gradient<const K: usize>(
    model: &Model<K>,
    image: &[f32],
    class: usize,
    side: usize,
) -> Vec<f32> {
    let grads = class_gradients(
        model,
        &[image.to_vec()],
        &[class],
        side,
        Rectifier::Plain,
    );
    grads[0].iter().map(|g| g.abs()).collect()
}
// ANCHOR_END: vanilla

// ANCHOR: smoothgrad
/// SmoothGrad: the mean of `∂y_c/∂x` over `samples` copies of the image with
/// Gaussian noise of standard deviation `sigma` added, then `|·|`.
pub fn smoothgrad<const K: usize>(
    model: &Model<K>,
    image: &[f32],
    class: usize,
    side: usize,
    (samples, sigma, seed): (usize, f32, u64),
) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, sigma).expect("sigma > 0");
    let noisy: Vec<Vec<f32>> = (0..samples)
        .map(|_| image.iter().map(|&v| v + noise.sample(&mut rng)).collect())
        .collect();
    let classes = vec![class; samples];
    let grads =
        class_gradients(model, &noisy, &classes, side, Rectifier::Plain);
    mean_of(&grads).iter().map(|g| g.abs()).collect()
}
// ANCHOR_END: smoothgrad

/// The elementwise mean of equally long vectors.
pub fn mean_of(rows: &[Vec<f32>]) -> Vec<f32> {
    let mut mean = vec![0.0; rows[0].len()];
    for row in rows {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f32);
    mean
}

/// Integrated gradients and the two sides of the completeness axiom.
#[derive(Clone, Debug)]
pub struct Integrated {
    /// `IG_i(x)`, signed, one per pixel.
    pub attributions: Vec<f32>,
    /// `Σ_i IG_i(x)`.
    pub total: f64,
    /// `y_c(x) − y_c(x′)`.
    pub difference: f64,
}

impl Integrated {
    /// `|Σ_i IG_i − (y_c(x) − y_c(x′))| / |y_c(x) − y_c(x′)|`.
    pub fn completeness_error(&self) -> f64 {
        (self.total - self.difference).abs() / self.difference.abs()
    }
}

// ANCHOR: integrated
/// Integrated gradients from `baseline` x′ to `image` x with m = `steps`
/// midpoints: `IG_i = (x_i − x′_i) · (1/m) Σ_k ∂y_c/∂x_i (x′ + α_k (x − x′))`
/// with `α_k = (k − ½)/m`, `k = 1, …, m`.
pub fn integrated_gradients<const K: usize>(
    model: &Model<K>,
    image: &[f32],
    baseline: &[f32],
    class: usize,
    (side, steps): (usize, usize),
) -> Integrated {
    let point = |alpha: f32| -> Vec<f32> {
        let on_path = |(&x, &b): (&f32, &f32)| b + alpha * (x - b);
        image.iter().zip(baseline).map(on_path).collect()
    };
    let path: Vec<Vec<f32>> = (0..steps)
        .map(|k| point((k as f32 + 0.5) / steps as f32))
        .collect();
    let classes = vec![class; steps];
    let grads = class_gradients(model, &path, &classes, side, Rectifier::Plain);
    let mean_grad = mean_of(&grads);
    let attributions: Vec<f32> = (0..image.len())
        .map(|i| (image[i] - baseline[i]) * mean_grad[i])
        .collect();
    let ends = logits_of(model, &[image.to_vec(), baseline.to_vec()], side);
    Integrated {
        total: attributions.iter().map(|&a| a as f64).sum(),
        difference: (ends[0][class] - ends[1][class]) as f64,
        attributions,
    }
}
// ANCHOR_END: integrated

// ANCHOR: occlusion
/// Occlusion sensitivity: slide a `patch × patch` square of `fill` over the
/// image, `stride` pixels at a time, and record how much `y_c` drops; each
/// pixel gets the mean drop over the placements that cover it.
pub fn occlusion<M, const K: usize>(
    model: &M,
    image: &[f32],
    class: usize,
    side: usize,
    (patch, stride, fill): (usize, usize, f32),
) -> Vec<f32>
where
    M: Module<Batch<CHUNK>, Output = Tensor<Rank2<CHUNK, K>, f32, Cpu>>,
{
    let corners: Vec<(usize, usize)> = (0..=side - patch)
        .step_by(stride)
        .flat_map(|r| (0..=side - patch).step_by(stride).map(move |c| (r, c)))
        .collect();
    let covers = |(r, c): (usize, usize), i: usize| {
        (r..r + patch).contains(&(i / side))
            && (c..c + patch).contains(&(i % side))
    };
    let mut occluded = vec![image.to_vec()];
    for &corner in &corners {
        let hide =
            |(i, &v): (usize, &f32)| if covers(corner, i) { fill } else { v };
        occluded.push(image.iter().enumerate().map(hide).collect());
    }
    let logits = logits_of(model, &occluded, side);
    let (mut drop, mut count) =
        (vec![0.0; image.len()], vec![0.0; image.len()]);
    for (corner, y) in corners.iter().zip(&logits[1..]) {
        for i in (0..image.len()).filter(|&i| covers(*corner, i)) {
            drop[i] += logits[0][class] - y[class];
            count[i] += 1.0;
        }
    }
    drop.iter()
        .zip(&count)
        .map(|(d, n)| d / f32::max(*n, 1.0))
        .collect()
}
// ANCHOR_END: occlusion
