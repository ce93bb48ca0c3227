//! Pooling and the shape plumbing between convolutions and dense layers: max and average
//! pooling, global average pooling, a flatten into a compile-time width, and upsampling for
//! decoders (upsample, then [`crate::conv::Conv2D`]).
//!
//! All take `(B, C, H, W)` with compile-time batch and channels and run-time height and width.
//! Max pooling's tie rule on the CPU: the first maximum in row-major window order takes the
//! whole gradient, as in PyTorch.

use dfdx::nn::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::shapes::{Axes2, Const, Dtype, HasShape, Shape};
use dfdx::tensor::{cpu_join, Cpu, CpuError, HasErr, PutTape, SplitTape, Tape, Tensor};
use dfdx::tensor_ops::{Device, GenericUpscale2D, MeanTo, ReshapeTo, UpscaleMethod};

pub use crate::conv::composite::PoolKind;
use crate::conv::{Images, ShapeError, Window2D};

/// A device that runs the book's pooling: the CPU with its own kernel, CUDA with a composite
/// of dfdx ops.
pub trait PoolDevice<E: Dtype>: Device<E> {
    /// Max or average over each `K × K` window, windows `S` apart, no padding.
    fn pool2d<const B: usize, const C: usize, T: Tape<E, Self> + 'static>(
        x: Images<B, C, E, Self, T>,
        kind: PoolKind,
        win: Window2D,
    ) -> Result<Images<B, C, E, Self, T>, Self::Err>;
}

impl<E: Dtype> PoolDevice<E> for Cpu
where
    Cpu: Device<E>,
{
    fn pool2d<const B: usize, const C: usize, T: Tape<E, Self> + 'static>(
        x: Images<B, C, E, Self, T>,
        kind: PoolKind,
        win: Window2D,
    ) -> Result<Images<B, C, E, Self, T>, CpuError> {
        cpu_pool2d(x, kind, win)
    }
}

#[cfg(feature = "cuda")]
impl<E: Dtype> PoolDevice<E> for dfdx::tensor::Cuda
where
    dfdx::tensor::Cuda: Device<E>,
{
    fn pool2d<const B: usize, const C: usize, T: Tape<E, Self> + 'static>(
        x: Images<B, C, E, Self, T>,
        kind: PoolKind,
        win: Window2D,
    ) -> Result<Images<B, C, E, Self, T>, Self::Err> {
        crate::conv::composite::pool2d(x, kind, win)
    }
}

/// Where each output pixel's value came from: for max pooling, the flat index `y·W + x` of
/// the window's first maximum within its plane.
type ArgMax = Vec<usize>;

/// Max over each window of one plane; writes the values and their source indices.
fn max_plane<E: Dtype>(win: &Window2D, plane: &[E], out: &mut [E], arg: &mut [usize]) {
    for ((o, a), corner) in out.iter_mut().zip(arg.iter_mut()).zip(window_corners(win)) {
        let mut best = corner;
        for idx in window_pixels(win, corner) {
            if plane[idx] > plane[best] {
                best = idx;
            }
        }
        (*o, *a) = (plane[best], best);
    }
}

/// Mean over each window of one plane.
fn avg_plane<E: Dtype>(win: &Window2D, plane: &[E], out: &mut [E]) {
    let area = E::from_usize(win.kernel * win.kernel).expect("window area fits the dtype");
    for (o, corner) in out.iter_mut().zip(window_corners(win)) {
        let sum = window_pixels(win, corner).fold(E::default(), |acc, idx| acc + plane[idx]);
        *o = sum / area;
    }
}

/// The flat index `(oh·S)·W + ow·S` of each window's top-left pixel, in output order.
fn window_corners(win: &Window2D) -> impl Iterator<Item = usize> + '_ {
    let row_step = win.stride * win.w_in;
    (0..win.h_out).flat_map(move |oh| (0..win.w_out).map(move |ow| oh * row_step + ow * win.stride))
}

/// Flat indices of the `K × K` window whose top-left pixel is `corner`, row-major.
fn window_pixels(win: &Window2D, corner: usize) -> impl Iterator<Item = usize> + '_ {
    (0..win.kernel).flat_map(move |i| {
        let start = corner + i * win.w_in;
        start..start + win.kernel
    })
}

/// Pooling forward on the CPU: the first half of the planes `(b, c)` here, the second on the
/// patched dfdx's helper thread (each plane's result is the same on either).
fn cpu_pool_forward<E: Dtype>(x: &[E], kind: PoolKind, win: &Window2D) -> (Vec<E>, ArgMax) {
    let planes = x.len() / win.in_pixels();
    let mut out = vec![E::default(); planes * win.out_pixels()];
    let mut arg = vec![0; if kind == PoolKind::Max { out.len() } else { 0 }];
    let half = planes / 2;
    let (x_first, x_second) = x.split_at(half * win.in_pixels());
    let (out_first, out_second) = out.split_at_mut(half * win.out_pixels());
    match kind {
        PoolKind::Max => {
            let (arg_first, arg_second) = arg.split_at_mut(half * win.out_pixels());
            cpu_join(
                || max_planes(win, x_first, out_first, arg_first),
                || max_planes(win, x_second, out_second, arg_second),
            );
        }
        PoolKind::Avg => cpu_join(
            || avg_planes(win, x_first, out_first),
            || avg_planes(win, x_second, out_second),
        ),
    }
    (out, arg)
}

/// [`max_plane`] on each plane of `x`.
fn max_planes<E: Dtype>(win: &Window2D, x: &[E], out: &mut [E], arg: &mut [usize]) {
    let outputs = out.chunks_exact_mut(win.out_pixels());
    for ((plane, o), a) in x
        .chunks_exact(win.in_pixels())
        .zip(outputs)
        .zip(arg.chunks_exact_mut(win.out_pixels()))
    {
        max_plane(win, plane, o, a);
    }
}

/// [`avg_plane`] on each plane of `x`.
fn avg_planes<E: Dtype>(win: &Window2D, x: &[E], out: &mut [E]) {
    for (plane, o) in x
        .chunks_exact(win.in_pixels())
        .zip(out.chunks_exact_mut(win.out_pixels()))
    {
        avg_plane(win, plane, o);
    }
}

/// Adds `dX` for `dY` into `dx`: max sends each `dY` to its argmax, average spreads it evenly;
/// the two halves of the planes on two threads, as forward.
fn cpu_pool_backward<E: Dtype>(
    dy: &[E],
    arg: &[usize],
    kind: PoolKind,
    win: &Window2D,
    dx: &mut [E],
) {
    let half = dx.len() / win.in_pixels() / 2;
    let (dy_first, dy_second) = dy.split_at(half * win.out_pixels());
    let (dx_first, dx_second) = dx.split_at_mut(half * win.in_pixels());
    match kind {
        PoolKind::Max => {
            let (arg_first, arg_second) = arg.split_at(half * win.out_pixels());
            cpu_join(
                || max_backward(win, dy_first, arg_first, dx_first),
                || max_backward(win, dy_second, arg_second, dx_second),
            );
        }
        PoolKind::Avg => cpu_join(
            || avg_backward(win, dy_first, dx_first),
            || avg_backward(win, dy_second, dx_second),
        ),
    }
}

/// Max pooling's backward on each plane: each `dY` to its window's argmax.
fn max_backward<E: Dtype>(win: &Window2D, dy: &[E], arg: &[usize], dx: &mut [E]) {
    let planes = dx.chunks_exact_mut(win.in_pixels());
    for ((dx, dy), a) in planes
        .zip(dy.chunks_exact(win.out_pixels()))
        .zip(arg.chunks_exact(win.out_pixels()))
    {
        dy.iter().zip(a).for_each(|(&g, &idx)| dx[idx] += g);
    }
}

/// Average pooling's backward on each plane: each `dY / K²` to every pixel of its window.
fn avg_backward<E: Dtype>(win: &Window2D, dy: &[E], dx: &mut [E]) {
    let area = E::from_usize(win.kernel * win.kernel).expect("window area fits the dtype");
    let planes = dx.chunks_exact_mut(win.in_pixels());
    for (dx, dy) in planes.zip(dy.chunks_exact(win.out_pixels())) {
        for (&g, corner) in dy.iter().zip(window_corners(win)) {
            window_pixels(win, corner).for_each(|idx| dx[idx] += g / area);
        }
    }
}

/// Max or average pooling on the CPU, recorded on `x`'s tape as one op.
pub fn cpu_pool2d<const B: usize, const C: usize, E: Dtype, T: Tape<E, Cpu>>(
    x: Images<B, C, E, Cpu, T>,
    kind: PoolKind,
    win: Window2D,
) -> Result<Images<B, C, E, Cpu, T>, CpuError> {
    let (x, mut tape) = x.split_tape();
    let x = x.try_contiguous()?;
    let mut x_data = vec![E::default(); x.shape().num_elements()];
    x.copy_into(&mut x_data);
    let (y_data, arg) = cpu_pool_forward(&x_data, kind, &win);
    let shape = (Const::<B>, Const::<C>, win.h_out, win.w_out);
    let y = crate::alloc::tensor_from_slice(x.device(), &y_data, shape);
    let (x_ghost, y_ghost) = (x.ghost(), y.ghost());
    tape.add_backward_op(move |grads| {
        let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&y_ghost)?);
        cpu_pool_backward(&dy, &arg, kind, &win, grads.get_or_alloc_mut(&x_ghost)?);
        **grads.get_or_alloc_mut(&y_ghost)? = dy;
        Ok(())
    });
    Ok(y.put_tape(tape))
}

/// The window of a `K × K`, stride `S` pool over `x`, or a [`ShapeError`] naming the layer.
fn pool_window(
    layer: String,
    input: [usize; 4],
    k: usize,
    s: usize,
) -> Result<Window2D, ShapeError> {
    Window2D::new(k, s, 0, input[2], input[3]).map_err(|reason| ShapeError {
        layer,
        input: input.to_vec(),
        reason,
    })
}

macro_rules! pool_module {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        ///
        /// Output `(B, C, OH, OW)` with `OH = (H − K) / S + 1`; `S` defaults to `K`. An input
        /// smaller than the kernel: [`Self::checked_forward`] returns a [`ShapeError`],
        /// `Module::forward` panics with its message.
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name<const K: usize, const S: usize = K>;

        impl<const K: usize, const S: usize> ZeroSizedModule for $name<K, S> {}
        impl<const K: usize, const S: usize> NonMutableModule for $name<K, S> {}

        impl<const K: usize, const S: usize> $name<K, S> {
            fn name() -> String {
                format!("{}<kernel {K}, stride {S}>", stringify!($name))
            }

            /// The forward pass, or a [`ShapeError`] if `H` or `W` is smaller than `K`.
            pub fn checked_forward<const B: usize, const C: usize, E, D, T>(
                &self,
                x: Images<B, C, E, D, T>,
            ) -> Result<Images<B, C, E, D, T>, ShapeError>
            where
                E: Dtype,
                D: PoolDevice<E>,
                T: Tape<E, D> + 'static,
            {
                let (_, _, h, w) = *x.shape();
                let win = pool_window(Self::name(), [B, C, h, w], K, S)?;
                Ok(D::pool2d(x, $kind, win).expect("device error in pooling"))
            }
        }

        impl<const K: usize, const S: usize, const B: usize, const C: usize, E, D, T>
            Module<Images<B, C, E, D, T>> for $name<K, S>
        where
            E: Dtype,
            D: PoolDevice<E>,
            T: Tape<E, D> + 'static,
        {
            type Output = Images<B, C, E, D, T>;
            type Error = D::Err;

            fn try_forward(&self, x: Images<B, C, E, D, T>) -> Result<Self::Output, D::Err> {
                let (_, _, h, w) = *x.shape();
                let win = pool_window(Self::name(), [B, C, h, w], K, S)
                    .unwrap_or_else(|e| panic!("{e}"));
                D::pool2d(x, $kind, win)
            }
        }
    };
}

pool_module!(
    /// The largest value in each `K × K` window, windows `S` apart. Gradient: all of `dY` to
    /// the window's first maximum (row-major order) on the CPU.
    MaxPool2D,
    PoolKind::Max
);

pool_module!(
    /// The mean of each `K × K` window, windows `S` apart. Gradient: `dY / K²` to every pixel
    /// of the window.
    AvgPool2D,
    PoolKind::Avg
);

/// Global average pooling: `(B, C, H, W)` → `(B, C)`, the mean of each channel's plane.
#[derive(Debug, Default, Clone, Copy)]
pub struct GlobalAvgPool2D;

impl ZeroSizedModule for GlobalAvgPool2D {}
impl NonMutableModule for GlobalAvgPool2D {}

impl<const B: usize, const C: usize, E: Dtype, D: Device<E>, T: Tape<E, D>>
    Module<Images<B, C, E, D, T>> for GlobalAvgPool2D
{
    type Output = Tensor<(Const<B>, Const<C>), E, D, T>;
    type Error = D::Err;

    /// Panics on an empty plane (`H·W = 0`): its mean is undefined.
    fn try_forward(&self, x: Images<B, C, E, D, T>) -> Result<Self::Output, D::Err> {
        let (_, _, h, w) = *x.shape();
        assert!(
            h * w > 0,
            "GlobalAvgPool2D: input ({B}, {C}, {h}, {w}) has an empty plane"
        );
        x.try_mean::<_, Axes2<2, 3>>()
    }
}

/// Flattens `(B, C, H, W)` into `(B, F)` for a `Linear<F, _>`: `F = C·H·W` is checked at run
/// time, because `H` and `W` are run-time sizes.
///
/// A wrong width: [`FlattenTo::checked_forward`] returns a [`ShapeError`] naming both widths;
/// `Module::forward` panics with the same message.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlattenTo<const F: usize>;

impl<const F: usize> ZeroSizedModule for FlattenTo<F> {}
impl<const F: usize> NonMutableModule for FlattenTo<F> {}

impl<const F: usize> FlattenTo<F> {
    /// Checks `C·H·W = F` for an input of shape `input`.
    pub fn check(input: [usize; 4]) -> Result<(), ShapeError> {
        let width = input[1] * input[2] * input[3];
        if width == F {
            return Ok(());
        }
        Err(ShapeError {
            layer: format!("FlattenTo<{F}>"),
            input: input.to_vec(),
            reason: format!("flattens to width C·H·W = {width}, but the next layer expects {F}"),
        })
    }

    /// The flattened batch, or a [`ShapeError`] if `C·H·W ≠ F`.
    pub fn checked_forward<const B: usize, const C: usize, E, D, T>(
        &self,
        x: Images<B, C, E, D, T>,
    ) -> Result<Tensor<(Const<B>, Const<F>), E, D, T>, ShapeError>
    where
        E: Dtype,
        D: Device<E>,
        T: Tape<E, D>,
    {
        let (_, _, h, w) = *x.shape();
        Self::check([B, C, h, w])?;
        Ok(x.try_reshape_like(&(Const::<B>, Const::<F>))
            .expect("device error in FlattenTo"))
    }
}

impl<const F: usize, const B: usize, const C: usize, E: Dtype, D: Device<E>, T: Tape<E, D>>
    Module<Images<B, C, E, D, T>> for FlattenTo<F>
{
    type Output = Tensor<(Const<B>, Const<F>), E, D, T>;
    type Error = D::Err;

    fn try_forward(&self, x: Images<B, C, E, D, T>) -> Result<Self::Output, D::Err> {
        let (_, _, h, w) = *x.shape();
        Self::check([B, C, h, w]).unwrap_or_else(|e| panic!("{e}"));
        x.try_reshape_like(&(Const::<B>, Const::<F>))
    }
}

/// Upsampling by an integer factor `F`: `(B, C, H, W)` → `(B, C, F·H, F·W)`, nearest neighbour
/// or bilinear (dfdx's `upscale2d`, which runs on stable). Follow it with a
/// [`crate::conv::Conv2D`] for a decoder's learned upsampling.
#[derive(Debug, Default, Clone, Copy)]
pub struct Upsample2D<const F: usize, M: UpscaleMethod = dfdx::tensor_ops::NearestNeighbor>(pub M);

impl<const F: usize, M: UpscaleMethod> ZeroSizedModule for Upsample2D<F, M> {}
impl<const F: usize, M: UpscaleMethod> NonMutableModule for Upsample2D<F, M> {}

impl<const F: usize, M, const B: usize, const C: usize, E, D, T> Module<Images<B, C, E, D, T>>
    for Upsample2D<F, M>
where
    M: UpscaleMethod,
    E: Dtype,
    D: Device<E>,
    T: Tape<E, D>,
    Images<B, C, E, D, T>: GenericUpscale2D<M, Output<usize, usize> = Images<B, C, E, D, T>>,
{
    type Output = Images<B, C, E, D, T>;
    type Error = <Self::Output as HasErr>::Err;

    fn try_forward(&self, x: Images<B, C, E, D, T>) -> Result<Self::Output, Self::Error> {
        let (_, _, h, w) = *x.shape();
        x.generic_upscale2d_like(M::default(), F * h, F * w)
    }
}
