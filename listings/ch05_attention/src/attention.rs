//! Scaled dot-product attention, masks and multi-head attention, from scratch with dfdx ops.
//!
//! Every shape is a type: a batch of `B` sequences, `H` heads, `TQ` queries, `TK` keys and
//! `DK` numbers per query, key and value is a `Tensor<Rank4<B, H, TQ, DK>, f32, Dev>`.
//! Multiplying queries by keys of another width does not compile.

use dfdx::nn::modules::Linear;
use dfdx::prelude::*;
use dudl::Dev;

/// A batch of per-head queries, keys or values: `(B, H, T, DK)`.
///
/// The compiler checks the widths. Queries and keys of width 8 attend:
/// ```
/// use ch05_attention::attention::scaled_dot_product_attention;
/// use dfdx::prelude::*;
/// let dev = dudl::Dev::default();
/// let q: Tensor<Rank4<1, 2, 3, 8>, f32, _> = dev.zeros();
/// let k: Tensor<Rank4<1, 2, 5, 8>, f32, _> = dev.zeros();
/// let (_values, _weights) = scaled_dot_product_attention(q, k.clone(), k, None);
/// ```
/// Keys of width 4 for queries of width 8 are a compile error:
/// ```compile_fail
/// use ch05_attention::attention::scaled_dot_product_attention;
/// use dfdx::prelude::*;
/// let dev = dudl::Dev::default();
/// let q: Tensor<Rank4<1, 2, 3, 8>, f32, _> = dev.zeros();
/// let k: Tensor<Rank4<1, 2, 5, 4>, f32, _> = dev.zeros();
/// let (_values, _weights) = scaled_dot_product_attention(q, k.clone(), k, None);
/// ```
pub type Heads<
    const B: usize,
    const H: usize,
    const T: usize,
    const DK: usize,
    Tp,
> = Tensor<Rank4<B, H, T, DK>, f32, Dev, Tp>;

/// Attention weights (or an additive mask) for every batch element and head:
/// `(B, H, TQ, TK)`.
pub type Weights<
    const B: usize,
    const H: usize,
    const TQ: usize,
    const TK: usize,
> = Tensor<Rank4<B, H, TQ, TK>, f32, Dev>;

// ANCHOR: attention
/// Scaled dot-product attention for all batch elements and heads at once:
/// `softmax(Q Kᵀ / √d_k + M) V`.
///
/// `q` is `(B, H, TQ, DK)`, `k` and `v` are `(B, H, TK, DK)`; `mask`, if
/// given, is added to the scores: 0 where a query may look, −∞ where it may
/// not. Returns the new values `(B, H, TQ, DK)` and the attention weights
/// `(B, H, TQ, TK)`, each row a distribution.
pub fn scaled_dot_product_attention<
    const B: usize,
    const H: usize,
    const TQ: usize,
    const TK: usize,
    const DK: usize,
    Tp: Tape<f32, Dev> + Merge<Tp>,
>(
    q: Heads<B, H, TQ, DK, Tp>,
    k: Heads<B, H, TK, DK, Tp>,
    v: Heads<B, H, TK, DK, Tp>,
    mask: Option<&Weights<B, H, TQ, TK>>,
) -> (Heads<B, H, TQ, DK, Tp>, Weights<B, H, TQ, TK>) {
    let k_t = k.permute::<Rank4<B, H, DK, TK>, Axes4<0, 1, 3, 2>>();
    let mut scores = q.matmul(k_t) * (1.0 / (DK as f32).sqrt());
    if let Some(mask) = mask {
        scores = scores + mask.clone();
    }
    let weights = scores.softmax::<Axis<3>>();
    let seen = weights.retaped::<NoneTape>();
    (weights.matmul(v), seen)
}
// ANCHOR_END: attention

// ANCHOR: causal_mask
/// The additive causal mask: 0 on and below the diagonal, −∞ above it, so
/// that query `i` sees keys `0..=i` only. `(T, T)`, broadcast to every batch
/// element and head.
pub fn causal_mask<const B: usize, const H: usize, const T: usize>(
    dev: &Dev,
) -> Weights<B, H, T, T> {
    // Entry n is (query n / T, key n % T).
    let future = |n: usize| n % T > n / T;
    let mask = (0..T * T)
        .map(|n| if future(n) { f32::NEG_INFINITY } else { 0.0 })
        .collect();
    dev.tensor_from_vec(mask, (Const::<T>, Const::<T>))
        .broadcast::<Rank4<B, H, T, T>, Axes2<0, 1>>()
}
// ANCHOR_END: causal_mask

// ANCHOR: mha_struct
/// Multi-head attention: `H` heads of width `DK` over `DM = H·DK` model
/// dimensions. The four projections have the names and shapes of dfdx's
/// `MultiHeadAttention`; each `Linear` stores its weight as (out × in).
#[derive(Clone, Debug)]
pub struct MultiHeadAttention<
    const DM: usize,
    const H: usize,
    const DK: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    /// Queries, keys and values: `(DM → DM)` each, read as `H` blocks of `DK`.
    pub w_q: Linear<DM, DM, E, D>,
    pub w_k: Linear<DM, DM, E, D>,
    pub w_v: Linear<DM, DM, E, D>,
    /// Mixes the concatenated heads back into the model's `DM` dimensions.
    pub w_o: Linear<DM, DM, E, D>,
}
// ANCHOR_END: mha_struct

/// A batch of model vectors, `(B, T, DM)`.
pub type Tokens<const B: usize, const T: usize, const DM: usize, Tp> =
    Tensor<Rank3<B, T, DM>, f32, Dev, Tp>;

impl<const DM: usize, const H: usize, const DK: usize>
    MultiHeadAttention<DM, H, DK>
{
    /// Compile-time check that the heads tile the model dimension.
    const HEADS_TILE_THE_MODEL: () =
        assert!(H * DK == DM, "H heads of width DK must make up DM");

    // ANCHOR: split_heads
    /// `(B, T, DM) → (B, H, T, DK)`: cut each token's `DM` numbers into `H`
    /// heads of `DK`.
    fn split_heads<const B: usize, const T: usize, Tp: Tape<f32, Dev>>(
        x: Tokens<B, T, DM, Tp>,
    ) -> Heads<B, H, T, DK, Tp> {
        x.reshape::<Rank4<B, T, H, DK>>()
            .permute::<Rank4<B, H, T, DK>, Axes4<0, 2, 1, 3>>()
    }

    /// `(B, H, T, DK) → (B, T, DM)`: put the heads of each token side by side.
    fn merge_heads<const B: usize, const T: usize, Tp: Tape<f32, Dev>>(
        x: Heads<B, H, T, DK, Tp>,
    ) -> Tokens<B, T, DM, Tp> {
        x.permute::<Rank4<B, T, H, DK>, Axes4<0, 2, 1, 3>>()
            .reshape::<Rank3<B, T, DM>>()
    }
    // ANCHOR_END: split_heads

    // ANCHOR: mha_forward
    /// Queries from `x_q` `(B, TQ, DM)` attend to keys and values from `x_kv`
    /// `(B, TK, DM)`. Returns the output `(B, TQ, DM)` and every head's
    /// attention weights `(B, H, TQ, TK)`.
    pub fn forward<
        const B: usize,
        const TQ: usize,
        const TK: usize,
        Tp: Tape<f32, Dev> + Merge<Tp>,
    >(
        &self,
        x_q: Tokens<B, TQ, DM, Tp>,
        x_kv: Tokens<B, TK, DM, Tp>,
        mask: Option<&Weights<B, H, TQ, TK>>,
    ) -> (Tokens<B, TQ, DM, Tp>, Weights<B, H, TQ, TK>) {
        let (k, v) = self.keys_values(x_kv);
        self.attend(x_q, k, v, mask)
    }

    /// The keys and values of `x_kv` `(B, TK, DM)`, `(B, H, TK, DK)` each.
    pub fn keys_values<const B: usize, const TK: usize, Tp>(
        &self,
        x_kv: Tokens<B, TK, DM, Tp>,
    ) -> (Heads<B, H, TK, DK, Tp>, Heads<B, H, TK, DK, Tp>)
    where
        Tp: Tape<f32, Dev> + Merge<Tp>,
    {
        let k = Self::split_heads(self.w_k.forward(x_kv.with_empty_tape()));
        let v = Self::split_heads(self.w_v.forward(x_kv));
        (k, v)
    }

    /// Queries from `x_q` `(B, TQ, DM)` attend to keys `k` and values `v`
    /// that are already split into heads.
    pub fn attend<
        const B: usize,
        const TQ: usize,
        const TK: usize,
        Tp: Tape<f32, Dev> + Merge<Tp>,
    >(
        &self,
        x_q: Tokens<B, TQ, DM, Tp>,
        k: Heads<B, H, TK, DK, Tp>,
        v: Heads<B, H, TK, DK, Tp>,
        mask: Option<&Weights<B, H, TQ, TK>>,
    ) -> (Tokens<B, TQ, DM, Tp>, Weights<B, H, TQ, TK>) {
        let () = Self::HEADS_TILE_THE_MODEL;
        let q = Self::split_heads(self.w_q.forward(x_q));
        let (heads, weights) = scaled_dot_product_attention(q, k, v, mask);
        (self.w_o.forward(Self::merge_heads(heads)), weights)
    }
    // ANCHOR_END: mha_forward

    /// Self-attention: the queries, keys and values all come from `x`
    /// `(B, T, DM)`.
    pub fn self_attention<const B: usize, const T: usize, Tp>(
        &self,
        x: Tokens<B, T, DM, Tp>,
        mask: Option<&Weights<B, H, T, T>>,
    ) -> (Tokens<B, T, DM, Tp>, Weights<B, H, T, T>)
    where
        Tp: Tape<f32, Dev> + Merge<Tp>,
    {
        let x_kv = x.with_empty_tape();
        self.forward(x, x_kv, mask)
    }
}

impl<const DM: usize, const H: usize, const DK: usize, D: Device<f32>>
    TensorCollection<f32, D> for MultiHeadAttention<DM, H, DK, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = MultiHeadAttention<DM, H, DK, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("w_q", |s| &s.w_q, |s| &mut s.w_q),
                Self::module("w_k", |s| &s.w_k, |s| &mut s.w_k),
                Self::module("w_v", |s| &s.w_v, |s| &mut s.w_v),
                Self::module("w_o", |s| &s.w_o, |s| &mut s.w_o),
            ),
            |(w_q, w_k, w_v, w_o)| MultiHeadAttention { w_q, w_k, w_v, w_o },
        )
    }
}

/// Every cached key and value, `(B, H, T, DK)` each, and the mask
/// `(B, H, 1, T)` that hides the slots not filled yet.
pub type Cached<
    const B: usize,
    const H: usize,
    const T: usize,
    const DK: usize,
> = (
    Heads<B, H, T, DK, NoneTape>,
    Heads<B, H, T, DK, NoneTape>,
    Weights<B, H, 1, T>,
);

// ANCHOR: kv_cache
/// The keys and values a causal decoder has computed so far: `(B, H, T, DK)`
/// each, filled for positions `0..len`; the other slots hold zeros.
pub struct KvCache<
    const B: usize,
    const H: usize,
    const T: usize,
    const DK: usize,
> {
    keys: Vec<f32>,
    values: Vec<f32>,
    len: usize,
}

impl<const B: usize, const H: usize, const T: usize, const DK: usize>
    KvCache<B, H, T, DK>
{
    /// An empty cache.
    pub fn new() -> Self {
        let zeros = vec![0.0; B * H * T * DK];
        KvCache {
            keys: zeros.clone(),
            values: zeros,
            len: 0,
        }
    }

    /// Stores the key and value `(B, H, 1, DK)` of position `len` and returns
    /// all keys and values with the mask `(B, H, 1, T)` that hides the slots
    /// not filled yet.
    ///
    /// # Panics
    /// When the cache already holds `T` positions: a decoder of length `T`
    /// never asks for more.
    pub fn push(
        &mut self,
        key: Heads<B, H, 1, DK, NoneTape>,
        value: Heads<B, H, 1, DK, NoneTape>,
    ) -> Cached<B, H, T, DK> {
        assert!(self.len < T, "the cache holds all {T} positions already");
        let dev = key.device().clone();
        for (cache, new) in [(&mut self.keys, key), (&mut self.values, value)] {
            for (row, numbers) in new.as_vec().chunks(DK).enumerate() {
                cache[(row * T + self.len) * DK..][..DK]
                    .copy_from_slice(numbers);
            }
        }
        self.len += 1;
        let filled = self.len;
        let hidden =
            (0..T).map(|s| if s < filled { 0.0 } else { f32::NEG_INFINITY });
        let mask = dev
            .tensor_from_vec(hidden.collect(), (Const::<T>,))
            .broadcast::<Rank4<B, H, 1, T>, Axes3<0, 1, 2>>();
        let shape = (Const::<B>, Const::<H>, Const::<T>, Const::<DK>);
        (
            dev.tensor_from_vec(self.keys.clone(), shape),
            dev.tensor_from_vec(self.values.clone(), shape),
            mask,
        )
    }
}

// ANCHOR_END: kv_cache

impl<const B: usize, const H: usize, const T: usize, const DK: usize>
    KvCache<B, H, T, DK>
{
    /// Positions cached so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const B: usize, const H: usize, const T: usize, const DK: usize> Default
    for KvCache<B, H, T, DK>
{
    fn default() -> Self {
        Self::new()
    }
}
