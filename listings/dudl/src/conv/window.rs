//! The geometry every sliding-window layer shares: kernel, stride, padding and the sizes they
//! imply, plus the error a layer returns when an input does not fit.

use std::fmt;

/// An input whose run-time shape a layer cannot accept.
///
/// The message names the layer, the input shape and what is wrong, e.g.
/// `Conv2D<16 -> 32, kernel 3, stride 1, padding 0>: input (8, 16, 2, 5): padded height 2 is smaller than the kernel 3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// The layer, with its compile-time settings.
    pub layer: String,
    /// The shape of the input it was given.
    pub input: Vec<usize>,
    /// What is wrong with that shape.
    pub reason: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.input.iter().map(usize::to_string).collect();
        write!(
            f,
            "{}: input ({}): {}",
            self.layer,
            dims.join(", "),
            self.reason
        )
    }
}

impl std::error::Error for ShapeError {}

/// One 2-D sliding window over an `H × W` plane: a `K × K` kernel moved `S` pixels at a time
/// over the plane padded with `P` zeros on every side.
///
/// Output size per axis: `OH = (H + 2P − K) / S + 1` (integer division), likewise `OW`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2D {
    /// `K`: side of the square kernel.
    pub kernel: usize,
    /// `S`: step between neighbouring windows.
    pub stride: usize,
    /// `P`: zeros added on each side of the plane.
    pub padding: usize,
    /// `H`: input height.
    pub h_in: usize,
    /// `W`: input width.
    pub w_in: usize,
    /// `OH`: output height.
    pub h_out: usize,
    /// `OW`: output width.
    pub w_out: usize,
}

impl Window2D {
    /// The window for an `h_in × w_in` plane, or why the plane is too small for the kernel.
    pub fn new(
        kernel: usize,
        stride: usize,
        padding: usize,
        h_in: usize,
        w_in: usize,
    ) -> Result<Self, String> {
        if kernel == 0 || stride == 0 {
            return Err(format!(
                "kernel {kernel} and stride {stride} must be at least 1"
            ));
        }
        let h_out = out_len("height", h_in, kernel, stride, padding)?;
        let w_out = out_len("width", w_in, kernel, stride, padding)?;
        Ok(Self {
            kernel,
            stride,
            padding,
            h_in,
            w_in,
            h_out,
            w_out,
        })
    }

    /// `OH · OW`: how many windows, one output pixel each.
    pub fn out_pixels(&self) -> usize {
        self.h_out * self.w_out
    }

    /// `H · W`: pixels in one input plane.
    pub fn in_pixels(&self) -> usize {
        self.h_in * self.w_in
    }

    /// The input row `oh·S + i − P` under kernel row `i` of output row `oh`, if not padding.
    #[inline]
    pub fn input_row(&self, oh: usize, i: usize) -> Option<usize> {
        (oh * self.stride + i)
            .checked_sub(self.padding)
            .filter(|&y| y < self.h_in)
    }

    /// The output columns `ow` whose kernel column `j` falls inside the input,
    /// i.e. `0 ≤ ow·S + j − P < W`, as a half-open range.
    #[inline]
    pub fn valid_out_cols(&self, j: usize) -> std::ops::Range<usize> {
        let s = self.stride;
        let lo = self.padding.saturating_sub(j).div_ceil(s).min(self.w_out);
        let hi = (self.w_in + self.padding)
            .saturating_sub(j)
            .div_ceil(s)
            .clamp(lo, self.w_out);
        lo..hi
    }
}

fn out_len(
    axis: &str,
    n: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Result<usize, String> {
    let padded = n + 2 * padding;
    if n == 0 {
        return Err(format!("the {axis} is 0"));
    }
    if padded < kernel {
        return Err(format!(
            "padded {axis} {padded} is smaller than the kernel {kernel}"
        ));
    }
    Ok((padded - kernel) / stride + 1)
}
