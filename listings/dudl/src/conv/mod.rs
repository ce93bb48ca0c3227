//! 2-D convolution, owned by the book because dfdx's `Conv2D` needs nightly Rust.
//!
//! [`Conv2D`] is a dfdx module: `build_module`, `alloc_grads`, the optimizers and safetensors
//! save/load work on it as on `Linear`. On the CPU it runs [`cpu::conv2d`] (im2col + GEMM,
//! recorded on the tape as one op); on CUDA, [`composite::conv2d`] (dfdx's gather and matmul).
//!
//! A small CNN for 28×28 images, the shapes in its type except height and width:
//! ```
//! use dfdx::nn::builders::{Linear, ReLU};
//! use dfdx::prelude::*;
//! use dudl::conv::{builder::Conv2D, Images};
//! use dudl::pool::{FlattenTo, MaxPool2D};
//!
//! type Cnn = (
//!     (Conv2D<1, 8, 3, 1, 1>, ReLU, MaxPool2D<2>),
//!     (FlattenTo<{ 8 * 14 * 14 }>, Linear<{ 8 * 14 * 14 }, 10>),
//! );
//! let dev = dudl::Dev::default();
//! let model = dev.build_module::<Cnn, f32>();
//! let x: Images<4, 1, f32, dudl::Dev> = dev.zeros_like(&(Const, Const, 28, 28));
//! let logits: Tensor<Rank2<4, 10>, f32, dudl::Dev> = model.forward(x);
//! ```

#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod composite;
pub mod cpu;
mod matmul;
mod scratch;
mod window;

pub use window::{ShapeError, Window2D};

use dfdx::nn::{
    BuildModule, BuildOnDevice, Module, ModuleVisitor, NonMutableModule, TensorCollection,
    TensorOptions,
};
use dfdx::shapes::{Const, Dtype, HasShape, Rank1, Rank4};
use dfdx::tensor::{Cpu, NoneTape, Storage, Tape, Tensor};
use dfdx::tensor_ops::Device;
use rand_distr::{uniform::SampleUniform, Uniform};

/// A batch of images `(B, C, H, W)`: batch and channels fixed at compile time, height and
/// width at run time. What every layer in [`crate::conv`] and [`crate::pool`] takes.
pub type Images<const B: usize, const C: usize, E, D, T = NoneTape> =
    Tensor<(Const<B>, Const<C>, usize, usize), E, D, T>;

/// A device that runs the book's convolution: the CPU with its own kernel, CUDA with a
/// composite of dfdx ops.
pub trait ConvDevice<E: Dtype>: Device<E> {
    /// `y[b][o] = bias[o] + Σ_c weight[o][c] ⋆ x[b][c]`, sizes from `win`; see [`cpu::conv2d`].
    fn conv2d<const B: usize, const I: usize, const O: usize, const K: usize, T>(
        x: Images<B, I, E, Self, T>,
        weight: &Tensor<Rank4<O, I, K, K>, E, Self>,
        bias: &Tensor<Rank1<O>, E, Self>,
        win: Window2D,
    ) -> Result<Images<B, O, E, Self, T>, Self::Err>
    where
        T: Tape<E, Self> + 'static;
}

impl<E: cpu::GemmFloat> ConvDevice<E> for Cpu
where
    Cpu: Device<E>,
{
    fn conv2d<const B: usize, const I: usize, const O: usize, const K: usize, T>(
        x: Images<B, I, E, Self, T>,
        weight: &Tensor<Rank4<O, I, K, K>, E, Self>,
        bias: &Tensor<Rank1<O>, E, Self>,
        win: Window2D,
    ) -> Result<Images<B, O, E, Self, T>, Self::Err>
    where
        T: Tape<E, Self> + 'static,
    {
        cpu::conv2d(x, weight, bias, win)
    }
}

#[cfg(feature = "cuda")]
impl<E: Dtype> ConvDevice<E> for dfdx::tensor::Cuda
where
    dfdx::tensor::Cuda: Device<E>,
{
    fn conv2d<const B: usize, const I: usize, const O: usize, const K: usize, T>(
        x: Images<B, I, E, Self, T>,
        weight: &Tensor<Rank4<O, I, K, K>, E, Self>,
        bias: &Tensor<Rank1<O>, E, Self>,
        win: Window2D,
    ) -> Result<Images<B, O, E, Self, T>, Self::Err>
    where
        T: Tape<E, Self> + 'static,
    {
        composite::conv2d(x, weight, bias, win)
    }
}

/// Builders for [`dfdx::nn::BuildModule`]: `dev.build_module::<builder::Conv2D<1, 16, 3, 1, 1>, f32>()`.
pub mod builder {
    /// Builds a [`super::Conv2D`]; stride `S` defaults to 1, padding `P` to 0.
    #[derive(Debug, Clone, Copy)]
    pub struct Conv2D<
        const I: usize,
        const O: usize,
        const K: usize,
        const S: usize = 1,
        const P: usize = 0,
    >;
}

/// A 2-D convolution from `I` to `O` channels with a `K × K` kernel, stride `S` and `P` zeros
/// of padding on each side, plus a bias per output channel.
///
/// Input `(B, I, H, W)`, output `(B, O, OH, OW)` with `OH = (H + 2P − K) / S + 1` and
/// `OW = (W + 2P − K) / S + 1`. Batch and channels are compile-time; height and width are
/// `usize`, because stable Rust cannot compute `OH` from `H` in a type.
///
/// Weights and bias start uniform in `±1/√(I·K·K)`, as in PyTorch.
///
/// Bad input: an `H` or `W` that, padded, is smaller than `K` is reported by
/// [`Conv2D::checked_forward`] as a [`ShapeError`]; `Module::forward`/`try_forward` panic with
/// the same message (their error type is the device's and cannot carry it).
#[derive(Debug, Clone)]
pub struct Conv2D<
    const I: usize,
    const O: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    E: Dtype,
    D: Storage<E>,
> {
    /// `(O, I, K, K)`.
    pub weight: Tensor<Rank4<O, I, K, K>, E, D>,
    /// `(O,)`.
    pub bias: Tensor<Rank1<O>, E, D>,
}

impl<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize, E, D>
    Conv2D<I, O, K, S, P, E, D>
where
    E: Dtype,
    D: Storage<E>,
{
    /// The layer as error messages name it.
    pub fn name() -> String {
        format!("Conv2D<{I} -> {O}, kernel {K}, stride {S}, padding {P}>")
    }

    /// The window over an input whose last two sizes are `h × w`, or why it does not fit.
    fn window(input: &[usize]) -> Result<Window2D, ShapeError> {
        let (h, w) = (input[input.len() - 2], input[input.len() - 1]);
        Window2D::new(K, S, P, h, w).map_err(|reason| ShapeError {
            layer: Self::name(),
            input: input.to_vec(),
            reason,
        })
    }

    /// The output height and width for an `h × w` input.
    pub fn output_hw(h: usize, w: usize) -> Result<(usize, usize), ShapeError> {
        Self::window(&[h, w]).map(|win| (win.h_out, win.w_out))
    }
}

impl<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize, E, D>
    Conv2D<I, O, K, S, P, E, D>
where
    E: Dtype,
    D: ConvDevice<E>,
{
    /// The forward pass, or a [`ShapeError`] if `H` or `W` is too small for the kernel.
    /// Panics only if the device fails (out of memory), like dfdx's `forward`.
    pub fn checked_forward<const B: usize, T: Tape<E, D> + 'static>(
        &self,
        x: Images<B, I, E, D, T>,
    ) -> Result<Images<B, O, E, D, T>, ShapeError> {
        let (_, _, h, w) = *x.shape();
        let win = Self::window(&[B, I, h, w])?;
        Ok(D::conv2d(x, &self.weight, &self.bias, win).expect("device error in Conv2D"))
    }
}

impl<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize, E, D>
    NonMutableModule for Conv2D<I, O, K, S, P, E, D>
where
    E: Dtype,
    D: Storage<E>,
{
}

impl<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize, E, D>
    TensorCollection<E, D> for Conv2D<I, O, K, S, P, E, D>
where
    E: Dtype + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Conv2D<I, O, K, S, P, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_with(|t| {
                        t.try_fill_with_distr(init_range::<E>(I * K * K))
                    }),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::reset_with(|t| {
                        t.try_fill_with_distr(init_range::<E>(I * K * K))
                    }),
                ),
            ),
            |(weight, bias)| Conv2D { weight, bias },
        )
    }
}

/// `U(−1/√fan_in, 1/√fan_in)`.
fn init_range<E: Dtype + SampleUniform>(fan_in: usize) -> Uniform<E> {
    let bound = E::from_f64(1.0 / (fan_in as f64).sqrt()).expect("bound fits the dtype");
    Uniform::new(E::default() - bound, bound)
}

impl<const I: usize, const O: usize, const K: usize, const S: usize, const P: usize, E, D>
    BuildOnDevice<D, E> for builder::Conv2D<I, O, K, S, P>
where
    E: Dtype,
    D: Device<E>,
    Conv2D<I, O, K, S, P, E, D>: BuildModule<D, E>,
{
    type Built = Conv2D<I, O, K, S, P, E, D>;
}

impl<
        const B: usize,
        const I: usize,
        const O: usize,
        const K: usize,
        const S: usize,
        const P: usize,
        E,
        D,
        T,
    > Module<Images<B, I, E, D, T>> for Conv2D<I, O, K, S, P, E, D>
where
    E: Dtype,
    D: ConvDevice<E>,
    T: Tape<E, D> + 'static,
{
    type Output = Images<B, O, E, D, T>;
    type Error = D::Err;

    /// Panics with the [`ShapeError`] message if `H` or `W` is too small for the kernel.
    fn try_forward(&self, x: Images<B, I, E, D, T>) -> Result<Self::Output, D::Err> {
        let (_, _, h, w) = *x.shape();
        let win = Self::window(&[B, I, h, w]).unwrap_or_else(|e| panic!("{e}"));
        D::conv2d(x, &self.weight, &self.bias, win)
    }
}
