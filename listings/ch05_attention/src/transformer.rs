//! A transformer block (pre-LayerNorm) and the small encoder that learns to reverse sequences.

use crate::attention::{MultiHeadAttention, Weights};
use crate::positional::sinusoidal_encoding;
use crate::reversal::{SEQ_LEN, VOCAB};
use dfdx::nn::modules::{Embedding, LayerNorm1D, Linear};
use dfdx::prelude::*;
use dudl::Dev;

/// Model width `d_model`.
pub const D_MODEL: usize = 32;
/// Attention heads `h`.
pub const HEADS: usize = 4;
/// Width of one head, `d_k = d_model / h`.
pub const D_K: usize = D_MODEL / HEADS;
/// Hidden width of the MLP.
pub const D_FF: usize = 64;

// ANCHOR: block
/// One transformer block: `x + MHA(LN(x))`, then `x + MLP(LN(x))`.
#[derive(Clone, Debug)]
pub struct Block<
    const M: usize,
    const H: usize,
    const DK: usize,
    const F: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub norm_attention: LayerNorm1D<M, E, D>,
    pub attention: MultiHeadAttention<M, H, DK, E, D>,
    pub norm_mlp: LayerNorm1D<M, E, D>,
    pub hidden: Linear<M, F, E, D>,
    pub output: Linear<F, M, E, D>,
}

impl<const M: usize, const H: usize, const DK: usize, const F: usize> Block<M, H, DK, F> {
    /// `x` is `(B, T, M)`; returns the new `x` and the attention weights `(B, H, T, T)`.
    pub fn forward<const B: usize, const T: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        x: Tensor<Rank3<B, T, M>, f32, Dev, Tp>,
        mask: Option<&Weights<B, H, T, T>>,
    ) -> (Tensor<Rank3<B, T, M>, f32, Dev, Tp>, Weights<B, H, T, T>) {
        let normed = self.norm_attention.forward(x.with_empty_tape());
        let (attended, weights) = self.attention.self_attention(normed, mask);
        let x = x + attended;
        let normed = self.norm_mlp.forward(x.with_empty_tape());
        let mlp = self.output.forward(self.hidden.forward(normed).relu());
        (x + mlp, weights)
    }
}
// ANCHOR_END: block

// ANCHOR: reverser
/// Tokens → embedding + positional encoding → one block → per-position logits over the vocabulary.
#[derive(Clone, Debug)]
pub struct Reverser<E: Dtype = f32, D: Storage<E> = Dev> {
    pub embedding: Embedding<VOCAB, D_MODEL, E, D>,
    pub block: Block<D_MODEL, HEADS, D_K, D_FF, E, D>,
    pub norm: LayerNorm1D<D_MODEL, E, D>,
    pub readout: Linear<D_MODEL, VOCAB, E, D>,
}

impl Reverser {
    /// `tokens` `(B, T)` → logits `(B, T, VOCAB)` and the block's attention weights `(B, H, T, T)`.
    pub fn forward<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        tokens: Tensor<Rank2<B, SEQ_LEN>, usize, Dev, Tp>,
    ) -> (
        Tensor<Rank3<B, SEQ_LEN, VOCAB>, f32, Dev, Tp>,
        Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
    ) {
        let positions = sinusoidal_encoding::<SEQ_LEN, D_MODEL>(tokens.device());
        let x = self.embedding.forward(tokens)
            + positions.broadcast::<Rank3<B, SEQ_LEN, D_MODEL>, Axis<0>>();
        let (x, weights) = self.block.forward(x, None);
        (self.readout.forward(self.norm.forward(x)), weights)
    }
}
// ANCHOR_END: reverser

impl<const M: usize, const H: usize, const DK: usize, const F: usize, D: Device<f32>>
    TensorCollection<f32, D> for Block<M, H, DK, F, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Block<M, H, DK, F, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module(
                    "norm_attention",
                    |s| &s.norm_attention,
                    |s| &mut s.norm_attention,
                ),
                Self::module("attention", |s| &s.attention, |s| &mut s.attention),
                Self::module("norm_mlp", |s| &s.norm_mlp, |s| &mut s.norm_mlp),
                Self::module("hidden", |s| &s.hidden, |s| &mut s.hidden),
                Self::module("output", |s| &s.output, |s| &mut s.output),
            ),
            |(norm_attention, attention, norm_mlp, hidden, output)| Block {
                norm_attention,
                attention,
                norm_mlp,
                hidden,
                output,
            },
        )
    }
}

impl<D: Device<f32>> TensorCollection<f32, D> for Reverser<f32, D> {
    type To<E2: Dtype, D2: Device<E2>> = Reverser<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("embedding", |s| &s.embedding, |s| &mut s.embedding),
                Self::module("block", |s| &s.block, |s| &mut s.block),
                Self::module("norm", |s| &s.norm, |s| &mut s.norm),
                Self::module("readout", |s| &s.readout, |s| &mut s.readout),
            ),
            |(embedding, block, norm, readout)| Reverser {
                embedding,
                block,
                norm,
                readout,
            },
        )
    }
}
