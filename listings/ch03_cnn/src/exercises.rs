//! Solutions to the chapter's exercises.

use crate::scratch::{conv2d_loops, Batch, Filters, Geometry};

// ANCHOR: measured_field
/// Exercise 1, measured: how many input columns can change output
/// `(0, 0)` of a stack of single-channel convolutions with all-ones
/// kernels. Puts a 1 at each column of row 0 of a `side × side` image and
/// counts the columns whose impulse reaches the output.
pub fn measured_receptive_field(layers: &[Geometry], side: usize) -> usize {
    (0..side)
        .filter(|&column| {
            let mut x = Batch {
                data: vec![0.0; side * side],
                shape: [1, 1, side, side],
            };
            x.data[column] = 1.0;
            let layer = |x: Batch, &g: &Geometry| conv2d_loops(&x, &ones(g), g);
            let y = layers.iter().fold(x, layer);
            y.data[0] != 0.0
        })
        .count()
}
// ANCHOR_END: measured_field

fn ones(g: Geometry) -> Filters {
    Filters {
        weight: vec![1.0; g.kernel * g.kernel],
        bias: vec![0.0],
        channels: [1, 1],
    }
}

// ANCHOR: dilate
/// Exercise 2: a `K × K` kernel dilated by `d` is the `(d(K−1)+1)`-sided
/// kernel with its taps `d` apart and zeros between them. Convolving with
/// it reads `x[p + d·i, q + d·j]`: a wider view for the same weights.
pub fn dilate(f: &Filters, k: usize, d: usize) -> (Filters, usize) {
    let side = d * (k - 1) + 1;
    let kernels = f.weight.len() / (k * k);
    let mut weight = vec![0.0; kernels * side * side];
    for (n, kernel) in f.weight.chunks_exact(k * k).enumerate() {
        for (t, &w) in kernel.iter().enumerate() {
            let (i, j) = (t / k, t % k);
            weight[n * side * side + d * i * side + d * j] = w;
        }
    }
    (
        Filters {
            weight,
            ..f.clone()
        },
        side,
    )
}
// ANCHOR_END: dilate

// ANCHOR: maxpool_grad
/// Exercise 3: the gradient of `L = Σ maxpool(x)` (2×2 windows, stride 2)
/// with respect to `x`: 1 at each window's largest pixel (the first, on
/// ties), 0 elsewhere. Max pooling routes the gradient; it does not
/// spread it.
pub fn maxpool_gradient(x: &[f32], h: usize, w: usize) -> Vec<f32> {
    let mut grad = vec![0.0; h * w];
    for top in (0..h - 1).step_by(2) {
        for left in (0..w - 1).step_by(2) {
            let corners = [(0, 0), (0, 1), (1, 0), (1, 1)];
            let window = corners.map(|(r, c)| (top + r) * w + left + c);
            let best = window
                .into_iter()
                .reduce(|best, i| if x[i] > x[best] { i } else { best });
            grad[best.unwrap_or(0)] = 1.0;
        }
    }
    grad
}
// ANCHOR_END: maxpool_grad

/// Exercise 4: weights of a dense layer from a `1 × 28 × 28` image to six `28 × 28` maps,
/// against LeNet's first convolution (six 5×5 kernels), biases left out.
pub fn dense_vs_conv_weights() -> (usize, usize) {
    let (pixels, maps) = (28 * 28, 6);
    (pixels * maps * pixels, maps * 5 * 5)
}
