//! The small CNN every explanation in this chapter looks inside, its training loop and the
//! batched forward and backward passes the explanations are built from.

use crate::guided::guided_relu;
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::builders::{Linear, ReLU};
use dfdx::optim::{Adam, AdamConfig, Optimizer};
use dfdx::prelude::*;
use dudl::alloc::tensor_from_slice;
use dudl::conv::{builder::Conv2D, Images};
use dudl::pool::{FlattenTo, GlobalAvgPool2D, MaxPool2D};
use dudl::progress::Progress;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Channels of the last convolution: the feature maps `A^k`, `k = 1..=16`.
pub const MAPS: usize = 16;

// ANCHOR: net
/// Three 3×3 convolutions (the first followed by 2×2 max pooling), then
/// global average pooling and one linear layer to `K` logits. The last
/// convolution's `MAPS` feature maps are what CAM and Grad-CAM read.
pub type Net<const K: usize> = (
    (
        (Conv2D<1, 8, 3, 1, 1>, ReLU, MaxPool2D<2>),
        (Conv2D<8, 16, 3, 1, 1>, ReLU),
        (Conv2D<16, MAPS, 3, 1, 1>, ReLU),
    ),
    (GlobalAvgPool2D, Linear<MAPS, K>),
);
// ANCHOR_END: net

/// The digit classifier for occlusion: two convolutions, each followed by
/// 2×2 max pooling, and a linear layer on the flattened `16 × 7 × 7` maps.
pub type DigitNet = (
    (Conv2D<1, 8, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (Conv2D<8, 16, 3, 1, 1>, ReLU, MaxPool2D<2>),
    (FlattenTo<{ 16 * 7 * 7 }>, Linear<{ 16 * 7 * 7 }, 10>),
);

/// The built network, in `f32` on the CPU (the guided rectifier of
/// [`crate::guided`] is a CPU kernel).
pub type Model<const K: usize> = <Net<K> as BuildOnDevice<Cpu, f32>>::Built;

/// A batch of `B` one-channel images.
pub type Batch<const B: usize, T = NoneTape> = Images<B, 1, f32, Cpu, T>;

/// Which rectifier the backward pass goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rectifier {
    /// `relu`, whose backward pass is the true gradient.
    Plain,
    /// [`guided_relu`]: the same forward, a backward that also drops
    /// negative incoming gradients (guided backpropagation).
    Guided,
}

fn rectify<const B: usize, const C: usize, T: Tape<f32, Cpu> + 'static>(
    x: Images<B, C, f32, Cpu, T>,
    rectifier: Rectifier,
) -> Images<B, C, f32, Cpu, T> {
    match rectifier {
        Rectifier::Plain => x.relu(),
        Rectifier::Guided => guided_relu(x),
    }
}

// ANCHOR: features
/// The feature maps `A`, `(B, MAPS, H/2, W/2)`: the network up to and
/// including its last convolution and rectifier.
pub fn features<const K: usize, const B: usize, T>(
    model: &Model<K>,
    x: Batch<B, T>,
    rectifier: Rectifier,
) -> Images<B, MAPS, f32, Cpu, T>
where
    T: Tape<f32, Cpu> + 'static,
{
    let ((conv1, _, pool), (conv2, _), (conv3, _)) = &model.0;
    let h = pool.forward(rectify(conv1.forward(x), rectifier));
    let h = rectify(conv2.forward(h), rectifier);
    rectify(conv3.forward(h), rectifier)
}

/// The logits `(B, K)` from the feature maps: global average pooling and
/// the linear layer, `y_c = b_c + Σ_k w_ck · mean_ij A^k_ij`.
pub fn head<const K: usize, const B: usize, T>(
    model: &Model<K>,
    maps: Images<B, MAPS, f32, Cpu, T>,
) -> Tensor<Rank2<B, K>, f32, Cpu, T>
where
    T: Tape<f32, Cpu>,
{
    model.1.forward(maps)
}
// ANCHOR_END: features

/// Images processed per forward pass when explaining (a compile-time batch).
pub const CHUNK: usize = 16;

/// `images` (each `side × side`, row-major) as batches of [`CHUNK`], the last
/// one padded with zero images; `f` gets each batch and the number of real
/// images in it.
pub fn in_chunks<R>(
    images: &[Vec<f32>],
    side: usize,
    mut f: impl FnMut(Batch<CHUNK>, usize) -> Vec<R>,
) -> Vec<R> {
    let dev = Cpu::default();
    let mut out = Vec::with_capacity(images.len());
    for chunk in images.chunks(CHUNK) {
        let mut data = vec![0.0; CHUNK * side * side];
        for (slot, image) in data.chunks_mut(side * side).zip(chunk) {
            slot.copy_from_slice(image);
        }
        let batch = dev.tensor_from_vec(data, (Const, Const, side, side));
        let mut results = f(batch, chunk.len());
        results.truncate(chunk.len());
        out.extend(results);
    }
    out
}

/// The logits of every image, from any network that maps a batch of
/// [`CHUNK`] images to `K` logits each.
pub fn logits_of<M, const K: usize>(
    model: &M,
    images: &[Vec<f32>],
    side: usize,
) -> Vec<[f32; K]>
where
    M: Module<Batch<CHUNK>, Output = Tensor<Rank2<CHUNK, K>, f32, Cpu>>,
{
    in_chunks(images, side, |batch, _| {
        let logits = model.forward(batch).as_vec();
        logits
            .chunks(K)
            .map(|row| std::array::from_fn(|c| row[c]))
            .collect()
    })
}

/// The index of each row's largest logit.
pub fn predictions<const K: usize>(logits: &[[f32; K]]) -> Vec<usize> {
    logits
        .iter()
        .map(|row| {
            (0..K)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .expect("K > 0")
        })
        .collect()
}

/// A `(B, K)` tensor with a 1 at `(b, classes[b])` and 0 elsewhere; rows past
/// `classes.len()` are all zero.
pub fn one_hot<const B: usize, const K: usize>(
    classes: &[usize],
) -> Tensor<Rank2<B, K>, f32, Cpu> {
    let mut data = vec![0.0; B * K];
    for (b, &c) in classes.iter().enumerate() {
        data[b * K + c] = 1.0;
    }
    Cpu::default().tensor_from_vec(data, (Const, Const))
}

// ANCHOR: class_gradients
/// `∂y_c / ∂x` for every image `x` and its class `c`, through the plain or
/// the guided rectifier: one backward pass per chunk of images.
pub fn class_gradients<const K: usize>(
    model: &Model<K>,
    images: &[Vec<f32>],
    classes: &[usize],
    side: usize,
    rectifier: Rectifier,
) -> Vec<Vec<f32>> {
    let mut done = 0;
    in_chunks(images, side, |x, n| {
        let selected = one_hot::<CHUNK, K>(&classes[done..done + n]);
        done += n;
        let maps = features(model, x.leaky_trace(), rectifier);
        let y_c = (head(model, maps) * selected).sum();
        let grads = y_c.backward();
        let grad_x = grads.get(&x).as_vec();
        grad_x.chunks(side * side).map(<[f32]>::to_vec).collect()
    })
}
// ANCHOR_END: class_gradients

/// How long and how fast a classifier trains.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub steps: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// Images per training step.
pub const BATCH: usize = 32;

/// The training forward pass's tape.
type Taped = OwnedTape<f32, Cpu>;

/// Trains a fresh network `N` with Adam on batches from `sample` (which
/// returns one `side × side` image and its label) and returns it.
pub fn train<N, const K: usize>(
    budget: Budget,
    side: usize,
    label: &str,
    mut sample: impl FnMut(&mut StdRng) -> (Vec<f32>, usize),
) -> N::Built
where
    N: BuildOnDevice<Cpu, f32>,
    N::Built: Module<
            Batch<BATCH, Taped>,
            Output = Tensor<Rank2<BATCH, K>, f32, Cpu, Taped>,
        > + TensorCollection<f32, Cpu>,
{
    let dev = Cpu::seed_from_u64(budget.seed);
    dev.enable_cache(); // reuse freed buffers instead of fresh pages
    let mut rng = StdRng::seed_from_u64(budget.seed);
    let mut model = dev.build_module::<N, f32>();
    let mut grads = model.alloc_grads();
    let config = AdamConfig {
        lr: budget.learning_rate,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut progress = Progress::new(label, budget.steps);
    for step in 0..budget.steps {
        let (images, labels): (Vec<_>, Vec<_>) =
            (0..BATCH).map(|_| sample(&mut rng)).unzip();
        let pixels = images.concat();
        let x: Batch<BATCH> =
            tensor_from_slice(&dev, &pixels, (Const, Const, side, side));
        let logits = model.forward(x.trace(grads));
        let loss = cross_entropy_with_logits_loss(
            logits,
            one_hot::<BATCH, K>(&labels),
        );
        let value = loss.array();
        grads = loss.backward();
        adam.update(&mut model, &grads)
            .expect("no unused parameters");
        model.zero_grads(&mut grads);
        progress.update(step + 1, format!("loss {value:.3}"));
    }
    model
}
