//! The transformer blocks (pre-LayerNorm) of an encoder and a decoder, and the small
//! encoder–decoder that learns to reverse sequences.

use crate::attention::{causal_mask, MultiHeadAttention, Weights};
use crate::positional::sinusoidal_encoding;
use crate::reversal::{DECODER_VOCAB, SEQ_LEN, VOCAB};
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

// ANCHOR: decoder_block
/// One decoder block: `y + MHA(LN(y))` under the causal mask, `y + MHA(LN(y), memory)` with
/// keys and values from the encoder, then `y + MLP(LN(y))`.
#[derive(Clone, Debug)]
pub struct DecoderBlock<
    const M: usize,
    const H: usize,
    const DK: usize,
    const F: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub norm_self: LayerNorm1D<M, E, D>,
    pub self_attention: MultiHeadAttention<M, H, DK, E, D>,
    pub norm_cross: LayerNorm1D<M, E, D>,
    pub cross_attention: MultiHeadAttention<M, H, DK, E, D>,
    pub norm_mlp: LayerNorm1D<M, E, D>,
    pub hidden: Linear<M, F, E, D>,
    pub output: Linear<F, M, E, D>,
}

impl<const M: usize, const H: usize, const DK: usize, const F: usize> DecoderBlock<M, H, DK, F> {
    /// `y` `(B, T, M)` attends to itself (masked by `mask`) and to `memory` `(B, TK, M)`.
    /// Returns the new `y`, the self-attention `(B, H, T, T)` and cross-attention `(B, H, T, TK)`.
    pub fn forward<
        const B: usize,
        const T: usize,
        const TK: usize,
        Tp: Tape<f32, Dev> + Merge<Tp>,
    >(
        &self,
        y: Tensor<Rank3<B, T, M>, f32, Dev, Tp>,
        memory: Tensor<Rank3<B, TK, M>, f32, Dev, Tp>,
        mask: &Weights<B, H, T, T>,
    ) -> (
        Tensor<Rank3<B, T, M>, f32, Dev, Tp>,
        Weights<B, H, T, T>,
        Weights<B, H, T, TK>,
    ) {
        let normed = self.norm_self.forward(y.with_empty_tape());
        let (attended, self_weights) = self.self_attention.self_attention(normed, Some(mask));
        let y = y + attended;
        let normed = self.norm_cross.forward(y.with_empty_tape());
        let (attended, cross_weights) = self.cross_attention.forward(normed, memory, None);
        let y = y + attended;
        let normed = self.norm_mlp.forward(y.with_empty_tape());
        let mlp = self.output.forward(self.hidden.forward(normed).relu());
        (y + mlp, self_weights, cross_weights)
    }
}
// ANCHOR_END: decoder_block

// ANCHOR: reverser
/// The encoder–decoder: the encoder reads the digits, the decoder writes them backwards.
#[derive(Clone, Debug)]
pub struct Reverser<E: Dtype = f32, D: Storage<E> = Dev> {
    pub encoder_embedding: Embedding<VOCAB, D_MODEL, E, D>,
    pub encoder: Block<D_MODEL, HEADS, D_K, D_FF, E, D>,
    pub encoder_norm: LayerNorm1D<D_MODEL, E, D>,
    pub decoder_embedding: Embedding<DECODER_VOCAB, D_MODEL, E, D>,
    pub decoder: DecoderBlock<D_MODEL, HEADS, D_K, D_FF, E, D>,
    pub norm: LayerNorm1D<D_MODEL, E, D>,
    pub readout: Linear<D_MODEL, VOCAB, E, D>,
}
// ANCHOR_END: reverser

/// A decoder pass's logits `(B, T, VOCAB)`, its self-attention and its cross-attention.
pub type Decoded<const B: usize, Tp> = (
    Tensor<Rank3<B, SEQ_LEN, VOCAB>, f32, Dev, Tp>,
    Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
    Weights<B, HEADS, SEQ_LEN, SEQ_LEN>,
);

// ANCHOR: encode_decode
impl Reverser {
    /// `source` digits `(B, T)` → the encoder's output, the *memory* `(B, T, d_model)`.
    pub fn encode<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        source: Tensor<Rank2<B, SEQ_LEN>, usize, Dev, Tp>,
    ) -> Tensor<Rank3<B, SEQ_LEN, D_MODEL>, f32, Dev, Tp> {
        let positions = sinusoidal_encoding::<SEQ_LEN, D_MODEL>(source.device());
        let x = self.encoder_embedding.forward(source)
            + positions.broadcast::<Rank3<B, SEQ_LEN, D_MODEL>, Axis<0>>();
        let (x, _) = self.encoder.forward(x, None);
        self.encoder_norm.forward(x)
    }

    /// Decoder `inputs` `(B, T)` (BOS, then the answer so far) and the `memory` → logits for
    /// the next digit at every position, `(B, T, VOCAB)`, with both attentions' weights.
    pub fn decode<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        inputs: Tensor<Rank2<B, SEQ_LEN>, usize, Dev>,
        memory: Tensor<Rank3<B, SEQ_LEN, D_MODEL>, f32, Dev, Tp>,
    ) -> Decoded<B, Tp> {
        let dev = inputs.device().clone();
        let positions = sinusoidal_encoding::<SEQ_LEN, D_MODEL>(&dev);
        // The encoder's tape travels on with the decoder's inputs; the memory joins with an
        // empty tape, and the gradient reaches the encoder when the tapes merge.
        let (memory, tape) = memory.split_tape();
        let y = self.decoder_embedding.forward(inputs.put_tape(tape))
            + positions.broadcast::<Rank3<B, SEQ_LEN, D_MODEL>, Axis<0>>();
        let memory = memory.put_tape(Tp::default());
        let mask = causal_mask::<B, HEADS, SEQ_LEN>(&dev);
        let (y, self_weights, cross_weights) = self.decoder.forward(y, memory, &mask);
        let logits = self.readout.forward(self.norm.forward(y));
        (logits, self_weights, cross_weights)
    }
}
// ANCHOR_END: encode_decode

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

impl<const M: usize, const H: usize, const DK: usize, const F: usize, D: Device<f32>>
    TensorCollection<f32, D> for DecoderBlock<M, H, DK, F, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = DecoderBlock<M, H, DK, F, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("norm_self", |s| &s.norm_self, |s| &mut s.norm_self),
                Self::module(
                    "self_attention",
                    |s| &s.self_attention,
                    |s| &mut s.self_attention,
                ),
                Self::module("norm_cross", |s| &s.norm_cross, |s| &mut s.norm_cross),
                Self::module(
                    "cross_attention",
                    |s| &s.cross_attention,
                    |s| &mut s.cross_attention,
                ),
                (
                    Self::module("norm_mlp", |s| &s.norm_mlp, |s| &mut s.norm_mlp),
                    Self::module("hidden", |s| &s.hidden, |s| &mut s.hidden),
                    Self::module("output", |s| &s.output, |s| &mut s.output),
                ),
            ),
            |(
                norm_self,
                self_attention,
                norm_cross,
                cross_attention,
                (norm_mlp, hidden, output),
            )| {
                DecoderBlock {
                    norm_self,
                    self_attention,
                    norm_cross,
                    cross_attention,
                    norm_mlp,
                    hidden,
                    output,
                }
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
                (
                    Self::module(
                        "encoder_embedding",
                        |s| &s.encoder_embedding,
                        |s| &mut s.encoder_embedding,
                    ),
                    Self::module("encoder", |s| &s.encoder, |s| &mut s.encoder),
                    Self::module("encoder_norm", |s| &s.encoder_norm, |s| &mut s.encoder_norm),
                ),
                (
                    Self::module(
                        "decoder_embedding",
                        |s| &s.decoder_embedding,
                        |s| &mut s.decoder_embedding,
                    ),
                    Self::module("decoder", |s| &s.decoder, |s| &mut s.decoder),
                ),
                Self::module("norm", |s| &s.norm, |s| &mut s.norm),
                Self::module("readout", |s| &s.readout, |s| &mut s.readout),
            ),
            |(
                (encoder_embedding, encoder, encoder_norm),
                (decoder_embedding, decoder),
                norm,
                readout,
            )| Reverser {
                encoder_embedding,
                encoder,
                encoder_norm,
                decoder_embedding,
                decoder,
                norm,
                readout,
            },
        )
    }
}
