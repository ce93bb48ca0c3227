//! The book builds dfdx from `patches/dfdx`, whose CPU kernels for binary
//! elementwise ops and `choose` walk tensors row by row instead of element by
//! element. These tests hold them to the per-element definition on every
//! layout the row walk distinguishes: stored in order, broadcast along the
//! last axis or an earlier one, transposed (a step of 2), and rank 0, with
//! and without a tape, forward and backward.

use dfdx::prelude::*;

type Grid = [[f32; 3]; 2];

/// Distinct values, so a misplaced index shows.
fn grid(offset: f32) -> Grid {
    std::array::from_fn(|i| std::array::from_fn(|j| offset + (3 * i + j) as f32 * 0.25))
}

/// The right-hand operands of every layout, each with its dense values.
/// `(name, tensor, dense)`, the tensor shaped 2×3 with the layout's strides.
fn layouts(dev: &Cpu) -> Vec<(&'static str, Tensor<Rank2<2, 3>, f32, Cpu>, Grid)> {
    let row = [1.5f32, -2.0, 0.5];
    let column = [-1.0f32, 3.0];
    let transposed: [[f32; 2]; 3] = [[0.5, -1.5], [2.0, 1.0], [-0.25, 4.0]];
    vec![
        ("in order", dev.tensor(grid(-1.0)), grid(-1.0)),
        (
            "broadcast over rows (a bias)",
            dev.tensor(row).broadcast(),
            [row, row],
        ),
        (
            "broadcast along the last axis",
            dev.tensor(column).broadcast(),
            std::array::from_fn(|i| [column[i]; 3]),
        ),
        (
            "transposed",
            dev.tensor(transposed).permute(),
            std::array::from_fn(|i| std::array::from_fn(|j| transposed[j][i])),
        ),
    ]
}

fn assert_grid(what: &str, got: Grid, want: Grid) {
    for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
        assert!((g - w).abs() <= 1e-6, "{what}: got {got:?}, want {want:?}");
    }
}

#[test]
fn binary_ops_match_their_per_element_definition_on_every_layout() {
    let dev = Cpu::default();
    let a = grid(0.5);
    let weights = grid(-0.75);
    for (name, b, b_dense) in layouts(&dev) {
        let product: Grid =
            std::array::from_fn(|i| std::array::from_fn(|j| a[i][j] * b_dense[i][j]));
        // Without a tape both operands are owned, so one buffer is reused.
        let untraced = dev.tensor(a) * b.clone();
        assert_grid(&format!("{name}, owned"), untraced.array(), product);
        let reversed = b.clone() * dev.tensor(a);
        assert_grid(
            &format!("{name}, owned, swapped"),
            reversed.array(),
            product,
        );

        // With a tape: the borrowed forward and the backward, under a
        // weighted sum so each output element's gradient differs.
        let a_t = dev.tensor(a);
        let grads = Gradients::leaky();
        let out = a_t.trace(grads) * b.clone();
        assert_grid(&format!("{name}, traced"), out.array(), product);
        let loss = (out * dev.tensor(weights)).sum();
        let grads = loss.backward();
        let want_a: Grid =
            std::array::from_fn(|i| std::array::from_fn(|j| b_dense[i][j] * weights[i][j]));
        assert_grid(&format!("{name}, ∂/∂a"), grads.get(&a_t).array(), want_a);
    }
}

#[test]
fn gradients_accumulate_into_broadcast_operands() {
    let dev = Cpu::default();
    let a = grid(0.5);
    let weights = grid(-0.75);
    let a_t = dev.tensor(a);
    let bias = dev.tensor([1.5f32, -2.0, 0.5]);
    let column = dev.tensor([-1.0f32, 3.0]);
    // Multiplication keeps the data for the backward; addition does not.
    let out = a_t.trace(Gradients::leaky()) * bias.trace(Gradients::leaky()).broadcast();
    let out = out + column.trace(Gradients::leaky()).broadcast();
    let grads = (out * dev.tensor(weights)).sum().backward();
    let want_bias: [f32; 3] =
        std::array::from_fn(|j| (0..2).map(|i| a[i][j] * weights[i][j]).sum());
    let want_column: [f32; 2] = std::array::from_fn(|i| weights[i].iter().sum());
    let got_bias = grads.get(&bias).array();
    let got_column = grads.get(&column).array();
    for (g, w) in got_bias
        .iter()
        .zip(want_bias)
        .chain(got_column.iter().zip(want_column))
    {
        assert!((g - w).abs() <= 1e-5, "got {got_bias:?} {got_column:?}");
    }
}

#[test]
fn rank_0_binary_ops_are_one_element() {
    let dev = Cpu::default();
    let x = dev.tensor(3.0f32);
    let y = x.trace(Gradients::leaky()) * dev.tensor(-2.0f32);
    assert_eq!(y.array(), -6.0);
    assert_eq!(y.backward().get(&x).array(), -2.0);
}

#[test]
fn choose_matches_its_per_element_definition_on_every_layout() {
    let dev = Cpu::default();
    let a = grid(-1.0); // negative in the first row and a half, positive after
    let weights = grid(-0.75);
    for (name, b, b_dense) in layouts(&dev) {
        let a_t = dev.tensor(a);
        let cond = a_t.clone().lt(0.0);
        let picked: Grid = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                if a[i][j] < 0.0 {
                    a[i][j]
                } else {
                    b_dense[i][j]
                }
            })
        });
        let out = cond.choose(a_t.trace(Gradients::leaky()), b.clone());
        assert_grid(&format!("{name}, choose"), out.array(), picked);
        let grads = (out * dev.tensor(weights)).sum().backward();
        let want_a: Grid = std::array::from_fn(|i| {
            std::array::from_fn(|j| if a[i][j] < 0.0 { weights[i][j] } else { 0.0 })
        });
        assert_grid(
            &format!("{name}, choose ∂/∂a"),
            grads.get(&a_t).array(),
            want_a,
        );
    }
}

#[test]
fn leaky_relu_keeps_its_slope_on_both_sides() {
    let dev = Cpu::default();
    let x = dev.tensor([-2.0f32, -0.5, 0.0, 1.5]);
    let y = x.trace(Gradients::leaky()).prelu(0.1);
    assert_eq!(y.array(), [-0.2, -0.05, 0.0, 1.5]);
    let grads = (y * dev.tensor([1.0f32, 2.0, 3.0, 4.0])).sum().backward();
    assert_eq!(grads.get(&x).array(), [0.1, 0.2, 3.0, 4.0]);
}
