//! A frozen linear layer, and the LoRA layer that adds a trainable low-rank
//! update to it.
//!
//! Freezing is a property of how a tensor is registered: dfdx's optimizers,
//! `alloc_grads`, `zero_grads` and `num_trainable_params` walk a model through
//! its `TensorCollection` and skip every tensor registered with
//! `TensorOptions::detached`, as BatchNorm's running statistics are.
//! [`FrozenLinear`] registers its weight and bias that way.

use crate::Dev;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;
use rand_distr::uniform::SampleUniform;
use rand_distr::Uniform;

// ANCHOR: frozen
/// `y = W x + b` with `W` `(O, I)` and `b` `(O,)` frozen: registered as
/// detached, so no optimizer updates them or keeps state for them.
#[derive(Clone, Debug)]
pub struct FrozenLinear<
    const I: usize,
    const O: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub weight: Tensor<Rank2<O, I>, E, D>,
    pub bias: Tensor<Rank1<O>, E, D>,
}

impl<const I: usize, const O: usize, E: Dtype, D: Device<E>>
    TensorCollection<E, D> for FrozenLinear<I, O, E, D>
{
    type To<E2: Dtype, D2: Device<E2>> = FrozenLinear<I, O, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::detached(|t| t.try_fill_with_zeros()),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::detached(|t| t.try_fill_with_zeros()),
                ),
            ),
            |(weight, bias)| FrozenLinear { weight, bias },
        )
    }
}
// ANCHOR_END: frozen

impl<const I: usize, const O: usize, E: Dtype, D: Storage<E>>
    From<Linear<I, O, E, D>> for FrozenLinear<I, O, E, D>
{
    /// Freezes a trained layer: same tensors, registered as detached.
    fn from(linear: Linear<I, O, E, D>) -> Self {
        FrozenLinear {
            weight: linear.weight,
            bias: linear.bias,
        }
    }
}

/// `x` `(B, I)` → `x Wᵀ + b` `(B, O)`: the same operations as dfdx's `Linear`,
/// so a frozen copy computes bit-for-bit what the original did. The frozen
/// tensors join without a tape: nothing is recorded for them.
impl<B: Dim, const I: usize, const O: usize, E: Dtype, D: Device<E>, T>
    Module<Tensor<(B, Const<I>), E, D, T>> for FrozenLinear<I, O, E, D>
where
    T: Tape<E, D> + Merge<NoneTape>,
{
    type Output = Tensor<(B, Const<O>), E, D, T>;
    type Error = D::Err;

    fn try_forward(
        &self,
        x: Tensor<(B, Const<I>), E, D, T>,
    ) -> Result<Self::Output, D::Err> {
        let y = x.try_matmul(self.weight.clone().try_permute()?)?;
        let shape = *y.shape();
        y.try_add(self.bias.clone().try_broadcast_like(&shape)?)
    }
}

impl<const I: usize, const O: usize, E: Dtype, D: Storage<E>> NonMutableModule
    for FrozenLinear<I, O, E, D>
{
}

// ANCHOR: lora
/// `y = W x + b + (α/r) B A x`: a frozen layer plus a trainable update of rank
/// at most `R`. `A` `(R, I)` starts random, `B` `(O, R)` starts at zero, so at
/// the start the layer computes exactly what the frozen one does.
#[derive(Clone, Debug)]
pub struct LoraLinear<
    const I: usize,
    const O: usize,
    const R: usize,
    E: Dtype = f32,
    D: Storage<E> = Dev,
> {
    pub base: FrozenLinear<I, O, E, D>,
    pub a: Tensor<Rank2<R, I>, E, D>,
    pub b: Tensor<Rank2<O, R>, E, D>,
    /// `α / r`.
    pub scale: f64,
}
// ANCHOR_END: lora

// ANCHOR: lora_collection
impl<const I: usize, const O: usize, const R: usize, E, D>
    TensorCollection<E, D> for LoraLinear<I, O, R, E, D>
where
    E: Dtype + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = LoraLinear<I, O, R, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("base", |s| &s.base, |s| &mut s.base),
                Self::tensor(
                    "a",
                    |s| &s.a,
                    |s| &mut s.a,
                    TensorOptions::reset_with(|t| {
                        t.try_fill_with_distr(init_a::<E>(I))
                    }),
                ),
                Self::tensor(
                    "b",
                    |s| &s.b,
                    |s| &mut s.b,
                    TensorOptions::reset_to_zeros(),
                ),
                Self::scalar(
                    "scale",
                    |s| &s.scale,
                    |s| &mut s.scale,
                    ScalarOptions::from_default(1.0),
                ),
            ),
            |(base, a, b, scale)| LoraLinear { base, a, b, scale },
        )
    }
}
// ANCHOR_END: lora_collection

/// `U(−1/√I, 1/√I)`, the initialisation of a fresh `Linear<I, _>`'s weight.
fn init_a<E: Dtype + SampleUniform>(fan_in: usize) -> Uniform<E> {
    let bound = E::from_f64(1.0 / (fan_in as f64).sqrt())
        .expect("bound fits the dtype");
    Uniform::new(E::default() - bound, bound)
}

impl<const I: usize, const O: usize, const R: usize, E, D>
    LoraLinear<I, O, R, E, D>
where
    E: Dtype + SampleUniform,
    D: Device<E>,
{
    // ANCHOR: adapt
    /// Freezes `pretrained` and adds an adapter of rank `R` with scale `α / R`;
    /// `A` is drawn from the layer's device, `B` is zero.
    pub fn adapt(pretrained: Linear<I, O, E, D>, alpha: f64) -> Self {
        let dev = pretrained.weight.device().clone();
        LoraLinear {
            a: dev.sample(init_a::<E>(I)),
            b: dev.zeros(),
            scale: alpha / R as f64,
            base: pretrained.into(),
        }
    }
    // ANCHOR_END: adapt

    // ANCHOR: merge
    /// The update `ΔW = (α/r) B A`, `(O, I)`, of rank at most `R`.
    pub fn delta(&self) -> Tensor<Rank2<O, I>, E, D> {
        let scale = E::from_f64(self.scale).expect("the scale fits the dtype");
        self.b.clone().matmul(self.a.clone()) * scale
    }

    /// One plain layer with `W + (α/r) B A`: after merging, inference costs
    /// what the pretrained layer cost.
    pub fn merge(&self) -> Linear<I, O, E, D> {
        Linear {
            weight: self.base.weight.clone() + self.delta(),
            bias: self.base.bias.clone(),
        }
    }
    // ANCHOR_END: merge
}

// ANCHOR: lora_forward
/// `x` `(B, I)` → `x Wᵀ + b + (α/r) (x Aᵀ) Bᵀ` `(B, O)`. The update goes
/// through the `R`-wide bottleneck `x Aᵀ` and is never formed as an `(O, I)`
/// matrix.
impl<Bt: Dim, const I: usize, const O: usize, const R: usize, E, D, T>
    Module<Tensor<(Bt, Const<I>), E, D, T>> for LoraLinear<I, O, R, E, D>
where
    E: Dtype,
    D: Device<E>,
    T: Tape<E, D> + Merge<NoneTape> + Merge<T>,
{
    type Output = Tensor<(Bt, Const<O>), E, D, T>;
    type Error = D::Err;

    fn try_forward(
        &self,
        x: Tensor<(Bt, Const<I>), E, D, T>,
    ) -> Result<Self::Output, D::Err> {
        let frozen = self.base.try_forward(x.with_empty_tape())?;
        let down = x.try_matmul(self.a.retaped::<T>().try_permute()?)?;
        let up = down.try_matmul(self.b.retaped::<T>().try_permute()?)?;
        let scale = E::from_f64(self.scale).expect("the scale fits the dtype");
        frozen.try_add(up.try_mul(scale)?)
    }
}
// ANCHOR_END: lora_forward

impl<
        const I: usize,
        const O: usize,
        const R: usize,
        E: Dtype,
        D: Storage<E>,
    > NonMutableModule for LoraLinear<I, O, R, E, D>
{
}

/// What a dfdx optimizer will update, and hold state for, in `model`: the names
/// of its trainable tensors (those not registered as detached), in the model's
/// order.
pub fn trainable_tensors<M: TensorCollection<f32, Dev>>(
    model: &M,
) -> Vec<String> {
    struct Names(Vec<String>);
    impl TensorVisitor<f32, Dev> for Names {
        type Viewer = (ViewTensorRef, ViewTensorName);
        type Err = <Dev as HasErr>::Err;
        type E2 = f32;
        type D2 = Dev;

        fn visit<S: Shape>(
            &mut self,
            opts: TensorOptions<S, f32, Dev>,
            (_, name): (&Tensor<S, f32, Dev>, String),
        ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
            if opts.do_gradient_update {
                self.0.push(name);
            }
            Ok(None)
        }
    }
    let mut names = Names(Vec::new());
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut names,
    })
    .expect("listing tensors cannot fail");
    names.0
}
