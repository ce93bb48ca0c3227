//! The networks the chapter compares, as dfdx types: the shapes between layers are in the
//! types, so a layer that does not fit the one before it is a compile error (or, where a
//! height or width is only known at run time, a [`dudl::conv::ShapeError`] naming it).
//!
//! A layer with 6 input channels after one with 8 output channels does not compile
//! (`cargo test --doc -p ch03_cnn` checks that it fails, with error E0277):
#![doc = concat!("```compile_fail,E0277\n", include_str!("channel_mismatch.rs"), "```")]
//! The same lines with 6 channels on both sides compile:
#![doc = concat!("```\n", include_str!("channel_match.rs"), "```")]

use dfdx::nn::builders::{BatchNorm2D, Linear, ReLU, Residual};
use dudl::conv::builder::Conv2D;
use dudl::data::mnist::{CLASSES, PIXELS};
use dudl::pool::{FlattenTo, GlobalAvgPool2D, MaxPool2D};

/// Hidden units of the MLP baseline.
pub const HIDDEN: usize = 128;

// ANCHOR: baselines
/// Multinomial logistic regression: one linear map from 784 pixels to
/// 10 logits.
pub type Logistic = (FlattenTo<PIXELS>, Linear<PIXELS, CLASSES>);

/// A one-hidden-layer perceptron: every hidden unit sees every pixel.
pub type Mlp = (
    FlattenTo<PIXELS>,
    Linear<PIXELS, HIDDEN>,
    ReLU,
    Linear<HIDDEN, CLASSES>,
);
// ANCHOR_END: baselines

// ANCHOR: lenet
/// LeNet-5's shape (LeCun et al., 1998) with ReLU and max pooling.
/// Sizes per image: 1×28×28 → 6×28×28 → 6×14×14 → 16×10×10
/// → 16×5×5 = 400 → 120 → 84 → 10.
pub type LeNet = (
    (Conv2D<1, 6, 5, 1, 2>, ReLU, MaxPool2D<2>),
    (Conv2D<6, 16, 5>, ReLU, MaxPool2D<2>),
    (FlattenTo<400>, Linear<400, 120>, ReLU),
    (Linear<120, 84>, ReLU, Linear<84, CLASSES>),
);
// ANCHOR_END: lenet

// ANCHOR: gap_cnn
/// Three convolutions, then global average pooling: the head sees each
/// channel's mean over the whole plane, not where in the plane it fired.
/// 1×28×28 → 8×14×14 → 16×7×7 → 32×7×7 → 32 → 10.
pub type GapCnn = (
    (Conv2D<1, 8, 5, 1, 2>, ReLU, MaxPool2D<2>),
    (Conv2D<8, 16, 5, 1, 2>, ReLU, MaxPool2D<2>),
    (Conv2D<16, 32, 3, 1, 1>, ReLU),
    (GlobalAvgPool2D, Linear<32, CLASSES>),
);
// ANCHOR_END: gap_cnn

// ANCHOR: bn
/// Conv → batch norm → ReLU: every convolution's outputs normalised per
/// channel over the batch and the plane, then scaled and shifted.
/// `P` zeros of padding keep the plane's size for `K = 2P + 1`.
type ConvBn<const I: usize, const O: usize, const K: usize, const P: usize> =
    (Conv2D<I, O, K, 1, P>, BatchNorm2D<O>, ReLU);

/// [`GapCnn`] with batch norm after each convolution.
pub type GapCnnBn = (
    (ConvBn<1, 8, 5, 2>, MaxPool2D<2>),
    (ConvBn<8, 16, 5, 2>, MaxPool2D<2>),
    ConvBn<16, 32, 3, 1>,
    (GlobalAvgPool2D, Linear<32, CLASSES>),
);
// ANCHOR_END: bn

/// Channels of the deep networks' 7×7 stages.
pub const WIDTH: usize = 16;

/// Two 3×3 convolutions at [`WIDTH`] channels: the body of a block.
type Body = (
    Conv2D<WIDTH, WIDTH, 3, 1, 1>,
    ReLU,
    Conv2D<WIDTH, WIDTH, 3, 1, 1>,
);

/// 28×28 → 14×14 → 7×7 at [`WIDTH`] channels; the deep networks' stem.
type Stem = (
    (Conv2D<1, WIDTH, 5, 1, 2>, ReLU, MaxPool2D<2>),
    (Conv2D<WIDTH, WIDTH, 3, 1, 1>, ReLU, MaxPool2D<2>),
);

// ANCHOR: residual
/// A plain block: `relu(F(x))`, `F` two 3×3 convolutions.
pub type PlainBlock = (Body, ReLU);
/// A residual block: `relu(x + F(x))`, the same `F` plus the identity.
pub type ResidualBlock = (Residual<Body>, ReLU);

/// The stem, four blocks (eight more convolutions), global pooling.
pub type Deep<Block> = (
    Stem,
    (Block, Block, Block, Block),
    (GlobalAvgPool2D, Linear<WIDTH, CLASSES>),
);
// ANCHOR_END: residual
