//! The networks of the chapter, in dfdx: the linear autoencoder, the MLP
//! autoencoder, the VAE and the digit classifier that judges its samples.

use crate::Dev;
use dfdx::nn::modules;
use dfdx::prelude::*;
use dudl::data::mnist::{CLASSES, PIXELS};

/// Width of every hidden layer.
pub const HIDDEN: usize = 128;

// ANCHOR: linear_ae
/// The linear autoencoder: `z = W_e x + b_e` (`K` numbers), `x̂ = W_d z + b_d`.
pub type LinearAeArch<const K: usize> = (Linear<PIXELS, K>, Linear<K, PIXELS>);
// ANCHOR_END: linear_ae
pub type LinearAe<const K: usize> =
    <LinearAeArch<K> as BuildOnDevice<Dev, f32>>::Built;

// ANCHOR: mlp_ae
/// Encoder `784 → 128 → L` and decoder `L → 128 → 784` (logits; the
/// reconstruction is their sigmoid, a grey value in `(0, 1)`).
pub type EncoderArch<const L: usize> =
    (Linear<PIXELS, HIDDEN>, ReLU, Linear<HIDDEN, L>);
pub type DecoderArch<const L: usize> =
    (Linear<L, HIDDEN>, ReLU, Linear<HIDDEN, PIXELS>);
pub type AutoencoderArch<const L: usize> = (EncoderArch<L>, DecoderArch<L>);
// ANCHOR_END: mlp_ae
pub type Autoencoder<const L: usize> =
    <AutoencoderArch<L> as BuildOnDevice<Dev, f32>>::Built;
pub type Decoder<const L: usize> =
    <DecoderArch<L> as BuildOnDevice<Dev, f32>>::Built;

// ANCHOR: vae
/// The VAE: a shared hidden layer, two heads for the mean `μ(x)` and the
/// log-variance `ln σ²(x)` of `q(z | x)`, and a decoder whose 784 logits
/// are the Bernoulli parameters of `p(x | z)`.
#[derive(Clone, Debug)]
pub struct Vae<const L: usize, E: Dtype = f32, D: Storage<E> = Dev> {
    pub hidden: modules::Linear<PIXELS, HIDDEN, E, D>,
    pub mean: modules::Linear<HIDDEN, L, E, D>,
    pub log_var: modules::Linear<HIDDEN, L, E, D>,
    pub decoder: (
        modules::Linear<L, HIDDEN, E, D>,
        modules::ReLU,
        modules::Linear<HIDDEN, PIXELS, E, D>,
    ),
}
// ANCHOR_END: vae

/// A pair `(μ, ln σ²)` of `(B, L)` tensors.
pub type Posterior<const B: usize, const L: usize, T> = (
    Tensor<Rank2<B, L>, f32, Dev, T>,
    Tensor<Rank2<B, L>, f32, Dev, T>,
);

impl<const L: usize> Vae<L> {
    // ANCHOR: encode
    /// `x` `(B, 784)` → the posterior's `(μ, ln σ²)`, each `(B, L)`.
    pub fn encode<const B: usize, T: Tape<f32, Dev> + Merge<T>>(
        &self,
        x: Tensor<Rank2<B, PIXELS>, f32, Dev, T>,
    ) -> Posterior<B, L, T> {
        let h = self.hidden.forward(x).relu();
        let mean = self.mean.forward(h.with_empty_tape());
        (mean, self.log_var.forward(h))
    }
    // ANCHOR_END: encode

    /// `z` `(B, L)` → the decoder's logits `(B, 784)`.
    pub fn decode<const B: usize, T: Tape<f32, Dev>>(
        &self,
        z: Tensor<Rank2<B, L>, f32, Dev, T>,
    ) -> Tensor<Rank2<B, PIXELS>, f32, Dev, T> {
        self.decoder.forward(z)
    }
}

impl<const L: usize, D: Device<f32>> TensorCollection<f32, D>
    for Vae<L, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Vae<L, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("hidden", |s| &s.hidden, |s| &mut s.hidden),
                Self::module("mean", |s| &s.mean, |s| &mut s.mean),
                Self::module("log_var", |s| &s.log_var, |s| &mut s.log_var),
                Self::module("decoder", |s| &s.decoder, |s| &mut s.decoder),
            ),
            |(hidden, mean, log_var, decoder)| Vae {
                hidden,
                mean,
                log_var,
                decoder,
            },
        )
    }
}

/// The judge of generated digits: `784 → 128 → 10` logits.
pub type ClassifierArch =
    (Linear<PIXELS, HIDDEN>, ReLU, Linear<HIDDEN, CLASSES>);
pub type Classifier = <ClassifierArch as BuildOnDevice<Dev, f32>>::Built;
