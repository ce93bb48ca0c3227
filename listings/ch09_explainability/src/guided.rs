//! Guided backpropagation's rectifier: `relu` forward, a modified backward pass.

use dfdx::prelude::*;
use dudl::conv::Images;

// ANCHOR: guided_relu
/// `y = max(x, 0)`, recorded on the tape with the backward pass of guided
/// backpropagation: `dx = dy · 1[x > 0] · 1[dy > 0]`. The plain `relu`
/// passes `dy · 1[x > 0]`; guided backpropagation also drops every negative
/// signal coming down from above.
pub fn guided_relu<const B: usize, const C: usize, T: Tape<f32, Cpu>>(
    x: Images<B, C, f32, Cpu, T>,
) -> Images<B, C, f32, Cpu, T> {
    let (x, mut tape) = x.split_tape();
    let x_data = x.as_vec();
    let y_data: Vec<f32> = x_data.iter().map(|&v| v.max(0.0)).collect();
    let y = x.device().tensor_from_vec(y_data, *x.shape());
    let (x_ghost, y_ghost) = (x.ghost(), y.ghost());
    tape.add_backward_op(move |grads| {
        let dy = grads.get_or_alloc_mut(&y_ghost)?.to_vec();
        let dx = grads.get_or_alloc_mut(&x_ghost)?;
        for ((d, &g), &v) in dx.iter_mut().zip(&dy).zip(&x_data) {
            if v > 0.0 && g > 0.0 {
                *d += g;
            }
        }
        Ok(())
    });
    y.put_tape(tape)
}
// ANCHOR_END: guided_relu
