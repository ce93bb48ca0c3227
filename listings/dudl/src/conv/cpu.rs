//! The CPU convolution: im2col + one matrix product per image forward, products + col2im
//! backward, the two halves of a batch on two threads. The products run on an AVX-512 kernel
//! for `f32` where the CPU has AVX-512F, on the `gemm` crate otherwise (see `matmul.rs`).
//!
//! Shapes, for one image of the batch (`L = OH·OW`, `CKK = C·K·K`):
//! - forward:  `Y (O×L) = W (O×CKK) · col(X) (CKK×L) + b`
//! - backward: `dWᵀ += col(X) · dYᵀ`, `db += Σ_L dY`, `dX += col2im(Wᵀ · dY)`

use dfdx::shapes::{Const, Dtype, HasShape, Rank1, Rank4};
use dfdx::tensor::{cpu_join, Cpu, CpuError, PutTape, SplitTape, Tape, Tensor};
use dfdx::tensor_ops::ReshapeTo;
use gemm::Parallelism;

use super::matmul::{matmul_into, MatRef};
use super::scratch::Scratch;
use super::window::Window2D;
use super::Images;

pub use super::matmul::GemmFloat;
pub use super::scratch::Pooled;

/// `dst[n] = src[n·stride]` for every `n` of `dst`.
fn copy_strided<E: Dtype>(src: &[E], stride: usize, dst: &mut [E]) {
    if stride == 1 {
        dst.copy_from_slice(&src[..dst.len()]);
    } else {
        dst.iter_mut()
            .zip(src.iter().step_by(stride))
            .for_each(|(d, &s)| *d = s);
    }
}

/// `dst[n·stride] += src[n]` for every `n` of `src`.
fn add_strided<E: Dtype>(src: &[E], dst: &mut [E], stride: usize) {
    if stride == 1 {
        dst[..src.len()]
            .iter_mut()
            .zip(src)
            .for_each(|(d, &s)| *d += s);
    } else {
        dst.iter_mut()
            .step_by(stride)
            .zip(src)
            .for_each(|(d, &s)| *d += s);
    }
}

/// Unfolds one image `(C, H, W)` into `col (C·K·K, OH·OW)`:
/// `col[(c·K + i)·K + j][oh·OW + ow] = x[c][oh·S + i − P][ow·S + j − P]`, zero in the padding.
fn im2col<E: Dtype>(win: &Window2D, image: &[E], col: &mut [E]) {
    let k = win.kernel;
    for (row, col_row) in col.chunks_exact_mut(win.out_pixels()).enumerate() {
        let (c, i, j) = (row / (k * k), row / k % k, row % k);
        let plane = &image[c * win.in_pixels()..(c + 1) * win.in_pixels()];
        let cols = win.valid_out_cols(j);
        for (oh, out) in col_row.chunks_exact_mut(win.w_out).enumerate() {
            let Some(y) = win.input_row(oh, i) else {
                out.fill(E::default());
                continue;
            };
            out[..cols.start].fill(E::default());
            out[cols.end..].fill(E::default());
            if !cols.is_empty() {
                let first = y * win.w_in + cols.start * win.stride + j - win.padding;
                copy_strided(&plane[first..], win.stride, &mut out[cols.clone()]);
            }
        }
    }
}

/// Folds `col (C·K·K, OH·OW)` back onto the image, adding each entry to the pixel it was
/// copied from: the adjoint of [`im2col`].
fn col2im_add<E: Dtype>(win: &Window2D, col: &[E], image: &mut [E]) {
    let k = win.kernel;
    for (row, col_row) in col.chunks_exact(win.out_pixels()).enumerate() {
        let (c, i, j) = (row / (k * k), row / k % k, row % k);
        let plane = &mut image[c * win.in_pixels()..(c + 1) * win.in_pixels()];
        let cols = win.valid_out_cols(j);
        for (oh, out) in col_row.chunks_exact(win.w_out).enumerate() {
            let Some(y) = win.input_row(oh, i) else {
                continue;
            };
            if !cols.is_empty() {
                let first = y * win.w_in + cols.start * win.stride + j - win.padding;
                add_strided(&out[cols.clone()], &mut plane[first..], win.stride);
            }
        }
    }
}

/// The sizes of one convolution call.
#[derive(Debug, Clone, Copy)]
struct ConvDims {
    win: Window2D,
    batch: usize,
    chan_in: usize,
    chan_out: usize,
}

impl ConvDims {
    /// `C·K·K`: rows of `col`, columns of the weight matrix.
    fn patch_len(&self) -> usize {
        self.chan_in * self.win.kernel * self.win.kernel
    }
    fn image_len(&self) -> usize {
        self.chan_in * self.win.in_pixels()
    }
    fn out_len(&self) -> usize {
        self.chan_out * self.win.out_pixels()
    }
    fn col_len(&self) -> usize {
        self.patch_len() * self.win.out_pixels()
    }

    /// A batch's two halves go to two threads (see [`first_half`]), each product on one; a
    /// single image has no halves, so gemm splits its products over rayon's threads instead.
    fn gemm_parallelism(&self) -> Parallelism {
        let threads = rayon::current_num_threads();
        if self.batch >= 2 || threads < 2 {
            Parallelism::None
        } else {
            Parallelism::Rayon(threads)
        }
    }
}

/// The images `0..B/2` and `B/2..B` of a batch, the second half run on the patched dfdx's
/// helper thread, which stays awake between the layers of a step (`patches/README.md`).
/// Whatever the number of cores, the gradients are summed over these two halves, so they are
/// the same bits on one core as on two (CI reproduces every chapter both ways).
fn first_half(batch: usize) -> usize {
    batch / 2
}

/// `Y = W · col(X) + b` for every image, the two halves of the batch on two threads.
fn forward<E: GemmFloat>(dims: ConvDims, x: &[E], w: &[E], b: &[E]) -> Scratch<E> {
    let mut y = Scratch::new(dims.batch * dims.out_len());
    let half = first_half(dims.batch);
    let (x_first, x_second) = x.split_at(half * dims.image_len());
    let (y_first, y_second) = y.split_at_mut(half * dims.out_len());
    let (mut col_first, mut col_second) =
        (Scratch::new(dims.col_len()), Scratch::new(dims.col_len()));
    cpu_join(
        || forward_images(&dims, x_first, w, b, y_first, &mut col_first),
        || forward_images(&dims, x_second, w, b, y_second, &mut col_second),
    );
    y
}

/// `Y = W · col(X) + b` for the images in `x`, one after another.
fn forward_images<E: GemmFloat>(
    dims: &ConvDims,
    x: &[E],
    w: &[E],
    b: &[E],
    y: &mut [E],
    col: &mut [E],
) {
    let (l, par) = (dims.win.out_pixels(), dims.gemm_parallelism());
    let images = x.chunks_exact(dims.image_len().max(1));
    for (y_img, x_img) in y.chunks_exact_mut(dims.out_len().max(1)).zip(images) {
        im2col(&dims.win, x_img, col);
        for (row, &bias) in y_img.chunks_exact_mut(l).zip(b) {
            row.fill(bias);
        }
        let w = MatRef::row_major(w, dims.chan_out, dims.patch_len());
        let col = MatRef::row_major(col, dims.patch_len(), l);
        matmul_into(w, col, y_img, true, par);
    }
}

/// One half-batch's sums of the parameter gradients, and scratch for one image at a time.
struct ParamGrads<E: GemmFloat> {
    /// `dWᵀ (C·K·K, O)`: the products run faster on contiguous rows of `dYᵀ`.
    weight_t: Vec<E>,
    bias: Vec<E>,
    col: Scratch<E>,
    grad_col: Scratch<E>,
    /// `dYᵀ (OH·OW, O)` of the current image.
    dy_t: Scratch<E>,
    /// `Σ_L dY (O)` of the current image.
    image_bias: Vec<E>,
}

impl<E: GemmFloat> ParamGrads<E> {
    fn zeros(dims: &ConvDims) -> Self {
        Self {
            weight_t: vec![E::default(); dims.patch_len() * dims.chan_out],
            bias: vec![E::default(); dims.chan_out],
            col: Scratch::new(dims.col_len()),
            grad_col: Scratch::new(dims.col_len()),
            dy_t: Scratch::new(dims.out_len()),
            image_bias: vec![E::default(); dims.chan_out],
        }
    }

    /// Adds one image's `dW`, `db` and `dX`.
    fn add_image(&mut self, dims: &ConvDims, w: &[E], x: &[E], dy: &[E], dx: &mut [E]) {
        let (l, ckk, o) = (dims.win.out_pixels(), dims.patch_len(), dims.chan_out);
        let par = dims.gemm_parallelism();
        im2col(&dims.win, x, &mut self.col);
        transpose_into(dy, o, &mut self.dy_t);
        let col = MatRef::row_major(&self.col, ckk, l);
        let dy_t = MatRef::row_major(&self.dy_t, l, o);
        matmul_into(col, dy_t, &mut self.weight_t, true, par);
        add_row_sums(&self.dy_t, &mut self.image_bias, &mut self.bias);
        let w_t = MatRef::transposed(w, ckk, o);
        matmul_into(
            w_t,
            MatRef::row_major(dy, o, l),
            &mut self.grad_col,
            false,
            par,
        );
        col2im_add(&dims.win, &self.grad_col, dx);
    }

    /// Adds the images of `x`, one after another.
    fn add_images(&mut self, dims: &ConvDims, w: &[E], x: &[E], dy: &[E], dx: &mut [E]) {
        let images = x.chunks_exact(dims.image_len().max(1));
        let grads_out = dy.chunks_exact(dims.out_len().max(1));
        for ((dx_img, x_img), dy_img) in dx
            .chunks_exact_mut(dims.image_len().max(1))
            .zip(images)
            .zip(grads_out)
        {
            self.add_image(dims, w, x_img, dy_img, dx_img);
        }
    }

    fn merge(mut self, other: Self) -> Self {
        add_assign(&mut self.weight_t, &other.weight_t);
        add_assign(&mut self.bias, &other.bias);
        self
    }
}

/// `total += Σ_l m[l]` over the rows `m[l]` of the row-major `m (L, O)`, `O = sum.len()`.
/// Each column is summed in row order into `sum` first, the order in which `Σ_L dY` of one
/// image was always summed, but the columns side by side in SIMD lanes.
fn add_row_sums<E: Dtype>(m: &[E], sum: &mut [E], total: &mut [E]) {
    sum.fill(E::default());
    for row in m.chunks_exact(sum.len().max(1)) {
        add_assign(sum, row);
    }
    add_assign(total, sum);
}

fn add_assign<E: Dtype>(dst: &mut [E], src: &[E]) {
    dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
}

/// Adds `dX` into `dx` and returns `(dW, db)`: each half of the batch summed on its own
/// thread, then the second half's sums added to the first's.
fn backward<E: GemmFloat>(
    dims: ConvDims,
    x: &[E],
    w: &[E],
    dy: &[E],
    dx: &mut [E],
) -> (Vec<E>, Vec<E>) {
    let half = first_half(dims.batch);
    let (x_first, x_second) = x.split_at(half * dims.image_len());
    let (dy_first, dy_second) = dy.split_at(half * dims.out_len());
    let (dx_first, dx_second) = dx.split_at_mut(half * dims.image_len());
    let mut first = ParamGrads::zeros(&dims);
    let mut second = ParamGrads::zeros(&dims);
    cpu_join(
        || first.add_images(&dims, w, x_first, dy_first, dx_first),
        || second.add_images(&dims, w, x_second, dy_second, dx_second),
    );
    let grads = if half == 0 {
        second
    } else {
        first.merge(second)
    };
    (transpose(&grads.weight_t, dims.patch_len()), grads.bias)
}

/// The transpose of a row-major matrix with `rows` rows.
fn transpose<E: Dtype>(m: &[E], rows: usize) -> Vec<E> {
    let mut t = vec![E::default(); m.len()];
    transpose_into(m, rows, &mut t);
    t
}

/// Writes the transpose of the row-major matrix `m` with `rows` rows into `t`.
fn transpose_into<E: Dtype>(m: &[E], rows: usize, t: &mut [E]) {
    let cols = m.len() / rows.max(1);
    for (r, row) in m.chunks_exact(cols.max(1)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + r] = v;
        }
    }
}

/// Copies a tensor's elements out in row-major order.
fn to_vec<S: dfdx::shapes::Shape, E: Dtype>(t: &Tensor<S, E, Cpu>) -> Result<Vec<E>, CpuError> {
    let t = t.clone().try_contiguous()?;
    let mut data = vec![E::default(); t.shape().num_elements()];
    t.copy_into(&mut data);
    Ok(data)
}

/// 2-D convolution of a batch on the CPU, recorded on `x`'s tape.
///
/// `x (B, I, H, W)`, `weight (O, I, K, K)`, `bias (O,)` → `y (B, O, OH, OW)` with
/// `y[b][o][p][q] = bias[o] + Σ_{c,i,j} weight[o][c][i][j] · x[b][c][p·S + i − P][q·S + j − P]`.
pub fn conv2d<const B: usize, const I: usize, const O: usize, const K: usize, E, T>(
    x: Images<B, I, E, Cpu, T>,
    weight: &Tensor<Rank4<O, I, K, K>, E, Cpu>,
    bias: &Tensor<Rank1<O>, E, Cpu>,
    win: Window2D,
) -> Result<Images<B, O, E, Cpu, T>, CpuError>
where
    E: GemmFloat,
    T: Tape<E, Cpu>,
{
    let dims = ConvDims {
        win,
        batch: B,
        chan_in: I,
        chan_out: O,
    };
    let (x, mut tape) = x.split_tape();
    let (x_data, w_data) = (to_vec(&x)?, to_vec(weight)?);
    let y_data = forward(dims, &x_data, &w_data, &to_vec(bias)?);
    let shape = (Const::<B>, Const::<O>, win.h_out, win.w_out);
    let y = crate::alloc::tensor_from_slice(x.device(), &y_data, shape);
    let (x_ghost, y_ghost) = (x.ghost(), y.ghost());
    let (w_ghost, b_ghost) = (weight.ghost(), bias.ghost());
    tape.add_backward_op(move |grads| {
        let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&y_ghost)?);
        let dx = grads.get_or_alloc_mut(&x_ghost)?;
        let (dw, db) = backward(dims, &x_data, &w_data, &dy, dx);
        add_assign(grads.get_or_alloc_mut(&w_ghost)?, &dw);
        add_assign(grads.get_or_alloc_mut(&b_ghost)?, &db);
        **grads.get_or_alloc_mut(&y_ghost)? = dy;
        Ok(())
    });
    Ok(y.put_tape(tape))
}
