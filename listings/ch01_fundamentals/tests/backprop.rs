//! Claim: backpropagation in matrix form, Δ⁽ˡ⁻¹⁾ = (Δ⁽ˡ⁾ W⁽ˡ⁾) ⊙ f′(Z⁽ˡ⁻¹⁾)
//! and ∂L/∂W⁽ˡ⁾ = Δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾, gives the scalar tape's gradient, for tanh,
//! sigmoid and ReLU networks shallow and deep.

use ch01_fundamentals::autodiff::Tape;
use ch01_fundamentals::backprop::backprop;
use ch01_fundamentals::gradient_flow::deep_mlp;
use ch01_fundamentals::mlp_scratch::{moons_mlp, Hidden};
use ch01_fundamentals::training::{minibatches, moons};
use dudl::gradcheck::max_error;

#[test]
fn matrix_backprop_equals_the_tape_to_1e_12() {
    let (train, _) = moons();
    let batch = &minibatches(train.len(), 1, 4)[0];
    let networks = [
        moons_mlp(5),
        deep_mlp(Hidden::Sigmoid, 6),
        deep_mlp(Hidden::Relu, 7),
    ];
    for mlp in &networks {
        let (loss, tape_grad) =
            mlp.loss_and_grad(&mut Tape::new(), &train, batch);
        let matrix = backprop(mlp, &train, batch);
        assert!((matrix.loss - loss).abs() < 1e-12, "{:?}", mlp.hidden);
        let error = max_error(&matrix.grad, &tape_grad);
        assert!(error < 1e-12, "{:?}: {error}", mlp.hidden);
        assert_eq!(matrix.deltas.len(), mlp.sizes.len() - 1);
    }
}
