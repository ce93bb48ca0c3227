//! Convolution from scratch: the definition as seven loops, then the same map as one matrix
//! product (im2col), then the size and receptive-field arithmetic. Plain `Vec<f32>`s in
//! row-major order, no autodiff: what `dudl::conv::Conv2D` computes, written to be read.

/// A kernel `K × K` slid `S` pixels at a time over a plane padded with `P` zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

// ANCHOR: output_size
/// Output length along one axis: `⌊(n + 2P − K) / S⌋ + 1` windows fit in
/// a padded input of length `n + 2P`. `None` if not even one fits.
pub fn output_size(n: usize, g: Geometry) -> Option<usize> {
    let padded = n + 2 * g.padding;
    let fits = padded >= g.kernel && g.stride > 0;
    fits.then(|| (padded - g.kernel) / g.stride + 1)
}
// ANCHOR_END: output_size

// ANCHOR: receptive_field
/// How many input pixels (along one axis) one output of a stack of
/// layers sees: `r = 1 + Σ_l (K_l − 1) · S_1 ⋯ S_{l−1}`. Pooling counts as
/// a layer with its own window and stride.
pub fn receptive_field(layers: &[Geometry]) -> usize {
    let mut field = 1;
    let mut jump = 1; // input pixels between neighbouring outputs so far
    for layer in layers {
        field += (layer.kernel - 1) * jump;
        jump *= layer.stride;
    }
    field
}
// ANCHOR_END: receptive_field

/// `x` in `(B, C, H, W)` order, with its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub data: Vec<f32>,
    /// `[B, C, H, W]`.
    pub shape: [usize; 4],
}

impl Batch {
    fn at(&self, [b, c, y, x]: [usize; 4]) -> f32 {
        let [_, chans, h, w] = self.shape;
        self.data[((b * chans + c) * h + y) * w + x]
    }
}

/// A convolution's parameters: `weight` in `(O, C, K, K)` order, one bias per output.
#[derive(Clone, Debug, PartialEq)]
pub struct Filters {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    /// `[O, C]`.
    pub channels: [usize; 2],
}

impl Filters {
    fn at(&self, [o, c, i, j]: [usize; 4], k: usize) -> f32 {
        self.weight[((o * self.channels[1] + c) * k + i) * k + j]
    }
}

/// The input pixel under kernel offset `i` of output position `out`, or
/// `None` in the zero padding.
fn source(out: usize, i: usize, g: Geometry, n: usize) -> Option<usize> {
    (out * g.stride + i)
        .checked_sub(g.padding)
        .filter(|&v| v < n)
}

// ANCHOR: seven_loops
/// `y[b,o,p,q] = bias[o] + Σ_{c,i,j} w[o,c,i,j] · x[b,c,pS+i−P,qS+j−P]`:
/// cross-correlation (the kernel is not flipped), as deep learning uses
/// the word "convolution". Seven loops, zero outside the image.
pub fn conv2d_loops(x: &Batch, f: &Filters, g: Geometry) -> Batch {
    let [batch, chans, h, w] = x.shape;
    let [outs, k] = [f.channels[0], g.kernel];
    let (oh, ow) = (output_size(h, g).unwrap(), output_size(w, g).unwrap());
    let mut y = Vec::with_capacity(batch * outs * oh * ow);
    for b in 0..batch {
        for o in 0..outs {
            for p in 0..oh {
                for q in 0..ow {
                    let mut sum = f.bias[o];
                    for c in 0..chans {
                        for i in 0..k {
                            for j in 0..k {
                                let row = source(p, i, g, h);
                                let col = source(q, j, g, w);
                                if let (Some(r), Some(s)) = (row, col) {
                                    let xv = x.at([b, c, r, s]);
                                    sum += f.at([o, c, i, j], k) * xv;
                                }
                            }
                        }
                    }
                    y.push(sum);
                }
            }
        }
    }
    Batch {
        data: y,
        shape: [batch, outs, oh, ow],
    }
}
// ANCHOR_END: seven_loops

// ANCHOR: im2col
/// Unfolds image `b` into a `(C·K·K) × (OH·OW)` matrix: column `p·OW + q`
/// holds the patch output `(p, q)` sees, flattened in the weight's
/// `(c, i, j)` order; zeros where the patch hangs over the padding.
pub fn im2col(x: &Batch, b: usize, g: Geometry) -> (Vec<f32>, usize) {
    let [_, chans, h, w] = x.shape;
    let (oh, ow) = (output_size(h, g).unwrap(), output_size(w, g).unwrap());
    let k = g.kernel;
    let mut col = vec![0.0; chans * k * k * oh * ow];
    for (row, entries) in col.chunks_exact_mut(oh * ow).enumerate() {
        let (c, i, j) = (row / (k * k), row / k % k, row % k);
        for (l, entry) in entries.iter_mut().enumerate() {
            let (p, q) = (l / ow, l % ow);
            let (row, col) = (source(p, i, g, h), source(q, j, g, w));
            if let (Some(r), Some(s)) = (row, col) {
                *entry = x.at([b, c, r, s]);
            }
        }
    }
    (col, oh * ow)
}

/// The same convolution as one matrix product per image:
/// `Y_b (O × OH·OW) = W (O × C·K·K) · im2col(x_b) + bias`.
pub fn conv2d_im2col(x: &Batch, f: &Filters, g: Geometry) -> Batch {
    let [batch, _, h, w] = x.shape;
    let (outs, patch) = (f.channels[0], f.weight.len() / f.channels[0]);
    let mut y = Vec::new();
    for b in 0..batch {
        let (col, positions) = im2col(x, b, g);
        for o in 0..outs {
            let w_row = &f.weight[o * patch..(o + 1) * patch];
            for l in 0..positions {
                let patch_at = |r: usize| col[r * positions + l];
                let dot: f32 = (0..patch).map(|r| w_row[r] * patch_at(r)).sum();
                y.push(dot + f.bias[o]);
            }
        }
    }
    let (oh, ow) = (output_size(h, g).unwrap(), output_size(w, g).unwrap());
    Batch {
        data: y,
        shape: [batch, outs, oh, ow],
    }
}
// ANCHOR_END: im2col
