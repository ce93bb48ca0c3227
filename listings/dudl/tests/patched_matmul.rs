//! The book builds dfdx from `patches/dfdx`, which splits an f32 matrix
//! product of at least 2²⁰ multiply-adds in two, along its longer side, and
//! runs one half on a helper thread. The split must not show: these tests hold
//! a split product to the same product computed in two unsplit halves, bit for
//! bit, its gradients to the definition, and many threads' products at once to
//! one thread's.

use dfdx::prelude::*;

type Matrix = Tensor<(usize, usize), f32, Cpu>;

/// An `rows × cols` matrix of distinct, repeatable values in [-0.5, 0.5).
fn matrix(dev: &Cpu, rows: usize, cols: usize, seed: usize) -> Matrix {
    let values = (0..rows * cols).map(|i| ((i * 7919 + seed) % 1013) as f32 / 1013.0 - 0.5);
    dev.tensor_from_vec(values.collect(), (rows, cols))
}

fn bits(t: &Matrix) -> Vec<u32> {
    t.as_vec().iter().map(|x| x.to_bits()).collect()
}

/// `a b` summed in f64, row-major `m × n`.
fn reference(a: &[f32], b: &[f32], (m, k, n): (usize, usize, usize)) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
        }
    }
    c
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

/// Products split along their columns (`n ≥ m`) whose halves are not split
/// again, as the patch decides; `k = 784` makes gemm sum in two blocks.
#[test]
fn a_split_product_equals_its_halves_computed_apart() {
    let dev = Cpu::default();
    for (m, k, n) in [(64, 784, 256), (100, 784, 128), (32, 100, 784)] {
        let a = matrix(&dev, m, k, 1);
        let b = matrix(&dev, k, n, 2);
        let whole = a.clone().matmul(b.clone());
        let half = n / 2;
        let left = a.clone().matmul(b.clone().slice((.., ..half)));
        let right = a.clone().matmul(b.clone().slice((.., half..)));
        let apart: Matrix = (left, right).concat_along(Axis::<1>);
        assert_eq!(bits(&whole), bits(&apart), "{m}×{k}×{n}");
        let want = reference(&a.as_vec(), &b.as_vec(), (m, k, n));
        assert_close(&format!("{m}×{k}×{n}"), &whole.as_vec(), &want);
    }
}

/// The backward pass multiplies transposed operands into the gradients
/// (`grad_a += grad_c bᵀ`, `grad_b += aᵀ grad_c`): split along rows and along
/// columns, the gradients must still be the definition's.
#[test]
fn gradients_of_split_products_match_the_definition() {
    let dev = Cpu::default();
    for (m, k, n) in [(64, 784, 256), (784, 100, 128), (128, 300, 64)] {
        let a = matrix(&dev, m, k, 3);
        let b = matrix(&dev, k, n, 4);
        let weights = matrix(&dev, m, n, 5);
        let c = a.clone().leaky_trace().matmul(b.clone().leaky_trace());
        let grads = (c * weights.clone()).sum().backward();
        // d(sum w ⊙ ab)/da = w bᵀ and d/db = aᵀ w.
        let transpose = |t: &Matrix| -> Vec<f32> {
            let (rows, cols) = *t.shape();
            let v = t.as_vec();
            (0..cols * rows)
                .map(|i| v[(i % rows) * cols + i / rows])
                .collect()
        };
        let want_a = reference(&weights.as_vec(), &transpose(&b), (m, n, k));
        let want_b = reference(&transpose(&a), &weights.as_vec(), (k, m, n));
        assert_close(
            &format!("grad a, {m}×{k}×{n}"),
            &grads.get(&a).as_vec(),
            &want_a,
        );
        assert_close(
            &format!("grad b, {m}×{k}×{n}"),
            &grads.get(&b).as_vec(),
            &want_b,
        );
    }
}

/// One helper serves every thread: a thread that finds it busy runs both
/// halves itself. Whoever runs them, the bits are the same.
#[test]
fn products_on_many_threads_at_once_match_one_threads() {
    let dev = Cpu::default();
    let (m, k, n) = (64, 784, 256);
    let a = matrix(&dev, m, k, 6);
    let b = matrix(&dev, k, n, 7);
    let want = bits(&a.clone().matmul(b.clone()));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(bits(&a.clone().matmul(b.clone())), want);
                }
            });
        }
    });
}
