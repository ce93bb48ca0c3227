//! Convolution and pooling composed from dfdx's own differentiable ops (gather, mul,
//! reshape, permute, matmul, max, mean), so they run on any dfdx device. This is the CUDA
//! path; on the CPU it is about ten times slower than [`super::cpu`] and the tests use it as
//! a second, independent implementation.

use dfdx::shapes::{Axes2, Axes3, Axes4, Axis, Const, Dtype, HasShape, Rank1, Rank4};
use dfdx::tensor::{Tape, Tensor};
use dfdx::tensor_ops::{
    BroadcastTo, Device, GatherTo, MaxTo, MeanTo, PermuteTo, ReshapeTo, TryAdd, TryMatMul, TryMul,
};

use super::window::Window2D;
use super::Images;

/// For every kernel tap `(i, j)` and output pixel `(oh, ow)`, in that order, the flat input
/// pixel `y·W + x` it reads and whether that pixel is real (1) or padding (0, index 0).
fn window_taps(win: &Window2D) -> (Vec<usize>, Vec<bool>) {
    let k = win.kernel;
    let mut index = Vec::with_capacity(k * k * win.out_pixels());
    let mut real = Vec::with_capacity(index.capacity());
    for (i, j) in (0..k).flat_map(|i| (0..k).map(move |j| (i, j))) {
        let cols = win.valid_out_cols(j);
        for oh in 0..win.h_out {
            for ow in 0..win.w_out {
                let y = win.input_row(oh, i).filter(|_| cols.contains(&ow));
                let pixel = y.map(|y| y * win.w_in + ow * win.stride + j - win.padding);
                index.push(pixel.unwrap_or(0));
                real.push(pixel.is_some());
            }
        }
    }
    (index, real)
}

/// Image patches `(K·K, OH·OW, B, C)`.
type Patches<const B: usize, const C: usize, E, D, T> =
    Tensor<(usize, usize, Const<B>, Const<C>), E, D, T>;

/// `x (B, C, H, W)` → patches `(K·K, OH·OW, B, C)`: entry `[(i·K + j), (oh·OW + ow), b, c]` is
/// `x[b][c][oh·S + i − P][ow·S + j − P]`, zero in the padding.
fn patches<const B: usize, const C: usize, E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: Images<B, C, E, D, T>,
    win: &Window2D,
) -> Result<Patches<B, C, E, D, T>, D::Err> {
    let dev = x.device().clone();
    let (index, real) = window_taps(win);
    let taps = index.len();
    let x = x.try_reshape_like(&(Const::<B>, Const::<C>, win.in_pixels()))?;
    let x = x.try_permute::<_, Axes3<2, 0, 1>>()?;
    let picked = x.try_gather(dev.try_tensor_from_vec(index, (taps,))?)?;
    let picked = if win.padding > 0 {
        let mask: Vec<E> = real
            .iter()
            .map(|&r| if r { E::ONE } else { E::default() })
            .collect();
        let mask = dev.try_tensor_from_vec(mask, (taps,))?;
        let shape = *picked.shape();
        picked.try_mul(mask.try_broadcast_like::<_, Axes2<1, 2>>(&shape)?)?
    } else {
        picked
    };
    let kk = win.kernel * win.kernel;
    picked.try_reshape_like(&(kk, win.out_pixels(), Const::<B>, Const::<C>))
}

/// The convolution of [`super::cpu::conv2d`], as a composite of dfdx ops on any device.
pub fn conv2d<const B: usize, const I: usize, const O: usize, const K: usize, E, D, T>(
    x: Images<B, I, E, D, T>,
    weight: &Tensor<Rank4<O, I, K, K>, E, D>,
    bias: &Tensor<Rank1<O>, E, D>,
    win: Window2D,
) -> Result<Images<B, O, E, D, T>, D::Err>
where
    E: Dtype,
    D: Device<E>,
    T: Tape<E, D> + 'static,
{
    let l = win.out_pixels();
    let cols = patches(x, &win)?.try_permute::<_, Axes4<2, 1, 3, 0>>()?;
    let cols = cols.try_reshape_like(&(Const::<B>, l, I * K * K))?;
    let w = weight
        .retaped::<T>()
        .try_reshape_like(&(Const::<O>, I * K * K))?;
    let y = cols.try_matmul(w.try_permute::<_, Axes2<1, 0>>()?)?;
    let y = y.try_permute::<_, Axes3<0, 2, 1>>()?;
    let shape = *y.shape();
    let y = y.try_add(
        bias.retaped::<T>()
            .try_broadcast_like::<_, Axes2<0, 2>>(&shape)?,
    )?;
    y.try_reshape_like(&(Const::<B>, Const::<O>, win.h_out, win.w_out))
}

/// Which statistic a pooling window keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// The largest value in the window.
    Max,
    /// The mean of the window.
    Avg,
}

/// Max or average pooling as a composite of dfdx ops on any device. On ties, dfdx's `max`
/// sends the gradient to every tied element (the CPU kernel sends it to the first).
pub fn pool2d<const B: usize, const C: usize, E, D, T>(
    x: Images<B, C, E, D, T>,
    kind: PoolKind,
    win: Window2D,
) -> Result<Images<B, C, E, D, T>, D::Err>
where
    E: Dtype,
    D: Device<E>,
    T: Tape<E, D> + 'static,
{
    let p = patches(x, &win)?;
    let pooled: Tensor<(usize, Const<B>, Const<C>), E, D, T> = match kind {
        PoolKind::Max => p.try_max::<_, Axis<0>>()?,
        PoolKind::Avg => p.try_mean::<_, Axis<0>>()?,
    };
    let pooled = pooled.try_permute::<_, Axes3<1, 2, 0>>()?;
    pooled.try_reshape_like(&(Const::<B>, Const::<C>, win.h_out, win.w_out))
}
