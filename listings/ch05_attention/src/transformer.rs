//! The transformer blocks (pre-LayerNorm) of an encoder and a decoder, and
//! the small encoder–decoder that learns to reverse sequences.

use crate::attention::{
    causal_mask, Heads, KvCache, MultiHeadAttention, Tokens, Weights,
};
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
    const DM: usize,
    const H: usize,
    const DK: usize,
    const F: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub norm_attention: LayerNorm1D<DM, E, D>,
    pub attention: MultiHeadAttention<DM, H, DK, E, D>,
    pub norm_mlp: LayerNorm1D<DM, E, D>,
    pub hidden: Linear<DM, F, E, D>,
    pub output: Linear<F, DM, E, D>,
}

impl<const DM: usize, const H: usize, const DK: usize, const F: usize>
    Block<DM, H, DK, F>
{
    /// `x` is `(B, T, DM)`; returns the new `x` and the attention weights
    /// `(B, H, T, T)`.
    pub fn forward<const B: usize, const T: usize, Tp>(
        &self,
        x: Tokens<B, T, DM, Tp>,
        mask: Option<&Weights<B, H, T, T>>,
    ) -> (Tokens<B, T, DM, Tp>, Weights<B, H, T, T>)
    where
        Tp: Tape<f32, Dev> + Merge<Tp>,
    {
        let normed = self.norm_attention.forward(x.with_empty_tape());
        let (attended, weights) = self.attention.self_attention(normed, mask);
        let x = x + attended;
        let normed = self.norm_mlp.forward(x.with_empty_tape());
        let mlp = self.output.forward(self.hidden.forward(normed).relu());
        (x + mlp, weights)
    }
}
// ANCHOR_END: block

/// A decoder block's output `(B, TQ, DM)` for `TQ` positions, its
/// self-attention `(B, H, TQ, TS)` and its cross-attention `(B, H, TQ, TK)`.
pub type DecoderOut<
    const B: usize,
    const H: usize,
    const TQ: usize,
    const TS: usize,
    const TK: usize,
    const DM: usize,
    Tp,
> = (
    Tokens<B, TQ, DM, Tp>,
    Weights<B, H, TQ, TS>,
    Weights<B, H, TQ, TK>,
);

// ANCHOR: decoder_block
/// One decoder block: `y + MHA(LN(y))` under the causal mask, then
/// `y + MHA(LN(y), memory)` with keys and values from the encoder, then
/// `y + MLP(LN(y))`.
#[derive(Clone, Debug)]
pub struct DecoderBlock<
    const DM: usize,
    const H: usize,
    const DK: usize,
    const F: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub norm_self: LayerNorm1D<DM, E, D>,
    pub self_attention: MultiHeadAttention<DM, H, DK, E, D>,
    pub norm_cross: LayerNorm1D<DM, E, D>,
    pub cross_attention: MultiHeadAttention<DM, H, DK, E, D>,
    pub norm_mlp: LayerNorm1D<DM, E, D>,
    pub hidden: Linear<DM, F, E, D>,
    pub output: Linear<F, DM, E, D>,
}

impl<const DM: usize, const H: usize, const DK: usize, const F: usize>
    DecoderBlock<DM, H, DK, F>
{
    /// `y` `(B, T, DM)` attends to itself (under `mask`, if given) and to
    /// `memory` `(B, TK, DM)`.
    pub fn forward<const B: usize, const T: usize, const TK: usize, Tp>(
        &self,
        y: Tokens<B, T, DM, Tp>,
        memory: Tokens<B, TK, DM, Tp>,
        mask: Option<&Weights<B, H, T, T>>,
    ) -> DecoderOut<B, H, T, T, TK, DM, Tp>
    where
        Tp: Tape<f32, Dev> + Merge<Tp>,
    {
        let normed = self.norm_self.forward(y.with_empty_tape());
        let (attended, self_weights) =
            self.self_attention.self_attention(normed, mask);
        let y = y + attended;
        let normed = self.norm_cross.forward(y.with_empty_tape());
        let (attended, cross_weights) =
            self.cross_attention.forward(normed, memory, None);
        let y = y + attended;
        let normed = self.norm_mlp.forward(y.with_empty_tape());
        let mlp = self.output.forward(self.hidden.forward(normed).relu());
        (y + mlp, self_weights, cross_weights)
    }
}
// ANCHOR_END: decoder_block

// ANCHOR: decoder_step
impl<const DM: usize, const H: usize, const DK: usize, const F: usize>
    DecoderBlock<DM, H, DK, F>
{
    /// The same block for ONE new position `y` `(B, 1, DM)`, the
    /// `cache.len()`-th: its key and value join the cache, its query reads
    /// the cache and the encoder's keys and values `memory_kv`, computed once.
    pub fn step<const B: usize, const T: usize, const TK: usize>(
        &self,
        y: Tokens<B, 1, DM, NoneTape>,
        cache: &mut KvCache<B, H, T, DK>,
        memory_kv: &(
            Heads<B, H, TK, DK, NoneTape>,
            Heads<B, H, TK, DK, NoneTape>,
        ),
    ) -> DecoderOut<B, H, 1, T, TK, DM, NoneTape> {
        let normed = self.norm_self.forward(y.clone());
        let (k, v) = self.self_attention.keys_values(normed.clone());
        let (keys, values, mask) = cache.push(k, v);
        let (attended, self_weights) =
            self.self_attention
                .attend(normed, keys, values, Some(&mask));
        let y = y + attended;
        let normed = self.norm_cross.forward(y.clone());
        let (keys, values) = memory_kv.clone();
        let (attended, cross_weights) =
            self.cross_attention.attend(normed, keys, values, None);
        let y = y + attended;
        let normed = self.norm_mlp.forward(y.clone());
        let mlp = self.output.forward(self.hidden.forward(normed).relu());
        (y + mlp, self_weights, cross_weights)
    }
}
// ANCHOR_END: decoder_step

// ANCHOR: design
/// The parts of the design an ablation switches off. The chapter's model
/// has both; an ablation trains the same code with one of them off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Design {
    /// The decoder's self-attention hides later positions.
    pub causal_mask: bool,
    /// Encoder and decoder add the sinusoidal encoding to the embeddings.
    pub positional_encoding: bool,
}

impl Design {
    pub const FULL: Design = Design {
        causal_mask: true,
        positional_encoding: true,
    };
    pub const NO_CAUSAL_MASK: Design = Design {
        causal_mask: false,
        ..Design::FULL
    };
    pub const NO_POSITIONS: Design = Design {
        positional_encoding: false,
        ..Design::FULL
    };
}
// ANCHOR_END: design

// ANCHOR: reverser
/// The encoder–decoder: the encoder reads the digits, the decoder writes
/// them backwards.
#[derive(Clone, Debug)]
pub struct Reverser<E: Dtype = f32, D: Storage<E> = Dev> {
    pub encoder_embedding: Embedding<VOCAB, D_MODEL, E, D>,
    pub encoder: Block<D_MODEL, HEADS, D_K, D_FF, E, D>,
    pub encoder_norm: LayerNorm1D<D_MODEL, E, D>,
    pub decoder_embedding: Embedding<DECODER_VOCAB, D_MODEL, E, D>,
    pub decoder: DecoderBlock<D_MODEL, HEADS, D_K, D_FF, E, D>,
    pub norm: LayerNorm1D<D_MODEL, E, D>,
    pub readout: Linear<D_MODEL, VOCAB, E, D>,
    /// Not a parameter: which parts are on (dfdx builds [`Design::FULL`]).
    pub design: Design,
}
// ANCHOR_END: reverser

/// A decoder pass's logits `(B, TQ, VOCAB)` for `TQ` positions (all `T`, or
/// the one new position of a cached step), its self-attention and its
/// cross-attention `(B, H, TQ, T)`.
pub type Decoded<const B: usize, const TQ: usize, Tp> = (
    Tensor<Rank3<B, TQ, VOCAB>, f32, Dev, Tp>,
    Weights<B, HEADS, TQ, SEQ_LEN>,
    Weights<B, HEADS, TQ, SEQ_LEN>,
);

/// The encoder's keys and values for the decoder's cross-attention.
pub type MemoryKv<const B: usize> = (
    Heads<B, HEADS, SEQ_LEN, D_K, NoneTape>,
    Heads<B, HEADS, SEQ_LEN, D_K, NoneTape>,
);

impl Reverser {
    /// A freshly initialised model with the parts `design` switches on.
    pub fn with_design(dev: &Dev, design: Design) -> Self {
        Reverser {
            design,
            ..Reverser::build(dev)
        }
    }

    /// The embeddings `x` `(B, T, d_model)` plus the positional encoding of
    /// positions `first..first + T`, if the design has it.
    fn add_positions<const B: usize, const T: usize, Tp: Tape<f32, Dev>>(
        &self,
        x: Tokens<B, T, D_MODEL, Tp>,
        first: usize,
    ) -> Tokens<B, T, D_MODEL, Tp> {
        if !self.design.positional_encoding {
            return x;
        }
        let all = sinusoidal_encoding::<SEQ_LEN, D_MODEL>(x.device()).as_vec();
        let rows = all[first * D_MODEL..][..T * D_MODEL].to_vec();
        let positions = x.device().tensor_from_vec(rows, (Const, Const));
        x + positions.broadcast::<Rank3<B, T, D_MODEL>, Axis<0>>()
    }
}

// ANCHOR: encode_decode
impl Reverser {
    /// `source` digits `(B, T)` → the encoder's output, the *memory*
    /// `(B, T, d_model)`.
    pub fn encode<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        source: Tensor<Rank2<B, SEQ_LEN>, usize, Dev, Tp>,
    ) -> Tokens<B, SEQ_LEN, D_MODEL, Tp> {
        let x = self.add_positions(self.encoder_embedding.forward(source), 0);
        let (x, _) = self.encoder.forward(x, None);
        self.encoder_norm.forward(x)
    }

    /// Decoder `inputs` `(B, T)` (BOS, then the answer so far) and the
    /// `memory` → logits for the next digit at every position,
    /// `(B, T, VOCAB)`, with both attentions' weights.
    pub fn decode<const B: usize, Tp: Tape<f32, Dev> + Merge<Tp>>(
        &self,
        inputs: Tensor<Rank2<B, SEQ_LEN>, usize, Dev>,
        memory: Tokens<B, SEQ_LEN, D_MODEL, Tp>,
    ) -> Decoded<B, SEQ_LEN, Tp> {
        let dev = inputs.device().clone();
        // The encoder's tape travels on with the decoder's inputs; the
        // memory joins with an empty tape, and the gradient reaches the
        // encoder when the tapes merge.
        let (memory, tape) = memory.split_tape();
        let embedded = self.decoder_embedding.forward(inputs.put_tape(tape));
        let y = self.add_positions(embedded, 0);
        let memory = memory.put_tape(Tp::default());
        let mask = causal_mask::<B, HEADS, SEQ_LEN>(&dev);
        let mask = self.design.causal_mask.then_some(&mask);
        let (y, self_weights, cross_weights) =
            self.decoder.forward(y, memory, mask);
        let logits = self.readout.forward(self.norm.forward(y));
        (logits, self_weights, cross_weights)
    }
}
// ANCHOR_END: encode_decode

// ANCHOR: decode_step
impl Reverser {
    /// The decoder at position `cache.len()` alone: reads the `B` tokens
    /// `previous` (BOS or the digit written last) and returns the logits
    /// `(B, 1, VOCAB)` of the digit to write there, with both attentions.
    pub fn decode_step<const B: usize>(
        &self,
        previous: [usize; B],
        cache: &mut KvCache<B, HEADS, SEQ_LEN, D_K>,
        memory_kv: &MemoryKv<B>,
    ) -> Decoded<B, 1, NoneTape> {
        let dev = self.readout.weight.device();
        let tokens = dev.tensor_from_vec(previous.to_vec(), (Const, Const));
        let embedded = self.decoder_embedding.forward(tokens);
        let y = self.add_positions(embedded, cache.len());
        let (y, self_weights, cross_weights) =
            self.decoder.step(y, cache, memory_kv);
        let logits = self.readout.forward(self.norm.forward(y));
        (logits, self_weights, cross_weights)
    }
}
// ANCHOR_END: decode_step

impl<
        const DM: usize,
        const H: usize,
        const DK: usize,
        const F: usize,
        D: Device<f32>,
    > TensorCollection<f32, D> for Block<DM, H, DK, F, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Block<DM, H, DK, F, E2, D2>;

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
                Self::module(
                    "attention",
                    |s| &s.attention,
                    |s| &mut s.attention,
                ),
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

impl<
        const DM: usize,
        const H: usize,
        const DK: usize,
        const F: usize,
        D: Device<f32>,
    > TensorCollection<f32, D> for DecoderBlock<DM, H, DK, F, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = DecoderBlock<DM, H, DK, F, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module(
                    "norm_self",
                    |s| &s.norm_self,
                    |s| &mut s.norm_self,
                ),
                Self::module(
                    "self_attention",
                    |s| &s.self_attention,
                    |s| &mut s.self_attention,
                ),
                Self::module(
                    "norm_cross",
                    |s| &s.norm_cross,
                    |s| &mut s.norm_cross,
                ),
                Self::module(
                    "cross_attention",
                    |s| &s.cross_attention,
                    |s| &mut s.cross_attention,
                ),
                (
                    Self::module(
                        "norm_mlp",
                        |s| &s.norm_mlp,
                        |s| &mut s.norm_mlp,
                    ),
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
                    Self::module(
                        "encoder_norm",
                        |s| &s.encoder_norm,
                        |s| &mut s.encoder_norm,
                    ),
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
                design: Design::FULL,
            },
        )
    }
}
