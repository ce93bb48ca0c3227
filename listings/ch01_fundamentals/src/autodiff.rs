//! A reverse-mode scalar autodiff engine: every number the model computes is a node on a
//! [`Tape`], and [`Tape::backward`] walks the tape once, last node first, to fill in
//! ∂L/∂v for every node v.
//!
//! Each op stores, next to its value, the *local* derivatives of its output with respect to its
//! inputs. Backpropagation is then the chain rule applied node by node:
//! ∂L/∂u += ∂v/∂u · ∂L/∂v for every input u of every node v.

// ANCHOR: tape
/// A handle to one scalar on a [`Tape`]: the index of its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(usize);

/// One scalar: its value, its gradient ∂L/∂v (filled by
/// [`Tape::backward`]), and up to two inputs, each with the local derivative
/// ∂v/∂u.
#[derive(Clone, Copy, Debug)]
struct Node {
    value: f64,
    grad: f64,
    inputs: [Option<(Var, f64)>; 2],
}

/// The computation graph, stored in the order it was built. A node's inputs
/// always come before it, so the order of the tape is already a topological
/// order.
#[derive(Clone, Debug, Default)]
pub struct Tape {
    nodes: Vec<Node>,
}
// ANCHOR_END: tape

// ANCHOR: ops
impl Tape {
    /// A new scalar with no inputs: a parameter or a data point.
    pub fn leaf(&mut self, value: f64) -> Var {
        self.push(value, [None, None])
    }

    /// A new scalar `value` computed from `a`, with ∂v/∂a = `da`.
    pub fn unary(&mut self, value: f64, a: Var, da: f64) -> Var {
        self.push(value, [Some((a, da)), None])
    }

    /// a + b: both local derivatives are 1.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        let value = self.value(a) + self.value(b);
        self.push(value, [Some((a, 1.0)), Some((b, 1.0))])
    }

    /// a · b: ∂(ab)/∂a = b and ∂(ab)/∂b = a.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        let (va, vb) = (self.value(a), self.value(b));
        self.push(va * vb, [Some((a, vb)), Some((b, va))])
    }

    /// σ(a) = 1 / (1 + e^(−a)), with σ′ = σ (1 − σ).
    pub fn sigmoid(&mut self, a: Var) -> Var {
        let s = 1.0 / (1.0 + (-self.value(a)).exp());
        self.unary(s, a, s * (1.0 - s))
    }

    /// tanh(a), with tanh′ = 1 − tanh².
    pub fn tanh(&mut self, a: Var) -> Var {
        let t = self.value(a).tanh();
        self.unary(t, a, 1.0 - t * t)
    }

    /// ReLU(a) = max(0, a), with derivative 1 for a > 0 and 0 otherwise.
    pub fn relu(&mut self, a: Var) -> Var {
        let v = self.value(a);
        self.unary(v.max(0.0), a, if v > 0.0 { 1.0 } else { 0.0 })
    }
}
// ANCHOR_END: ops

// ANCHOR: backward
impl Tape {
    /// Fills in ∂loss/∂v for every node v on the tape: seed the loss
    /// with 1, then visit the nodes last to first and pass each one's
    /// gradient to its inputs.
    pub fn backward(&mut self, loss: Var) {
        for node in &mut self.nodes {
            node.grad = 0.0;
        }
        self.nodes[loss.0].grad = 1.0;
        for i in (0..=loss.0).rev() {
            let Node { grad, inputs, .. } = self.nodes[i];
            for (input, local) in inputs.into_iter().flatten() {
                self.nodes[input.0].grad += local * grad;
            }
        }
    }
}
// ANCHOR_END: backward

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Tape::default()
    }

    /// The value of `v`.
    pub fn value(&self, v: Var) -> f64 {
        self.nodes[v.0].value
    }

    /// ∂L/∂v after [`Tape::backward`] (0 before).
    pub fn grad(&self, v: Var) -> f64 {
        self.nodes[v.0].grad
    }

    /// How many nodes the tape holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a tape with no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Forgets every node but keeps the memory, so the next step allocates nothing.
    pub fn clear(&mut self) {
        self.nodes.clear();
    }

    fn push(&mut self, value: f64, inputs: [Option<(Var, f64)>; 2]) -> Var {
        self.nodes.push(Node {
            value,
            grad: 0.0,
            inputs,
        });
        Var(self.nodes.len() - 1)
    }
}
