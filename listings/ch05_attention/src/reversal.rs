//! The task: read `SEQ_LEN` digits, write them in reverse order. Generated with a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// Tokens are the digits `0..VOCAB`.
pub const VOCAB: usize = 10;
/// Sequence length `T`.
pub const SEQ_LEN: usize = 10;
/// The decoder's start token, "begin of sequence": one more than the largest digit.
pub const BOS: usize = VOCAB;
/// Tokens the decoder reads: the digits and [`BOS`].
pub const DECODER_VOCAB: usize = VOCAB + 1;

/// One input sequence.
pub type Sequence = [usize; SEQ_LEN];

// ANCHOR: task
/// The target: output position `i` holds input token `T − 1 − i`.
pub fn reversed(sequence: &Sequence) -> Sequence {
    std::array::from_fn(|i| sequence[SEQ_LEN - 1 - i])
}

/// The key position output position `i` must read: `T − 1 − i`.
pub fn source_position(query: usize) -> usize {
    SEQ_LEN - 1 - query
}
// ANCHOR_END: task

// ANCHOR: shift
/// The decoder's input for `target` under teacher forcing: [`BOS`], then the
/// target shifted one place right, so that position `i` reads the right
/// answers `0..i` and must say answer `i`.
pub fn shifted_right(target: &Sequence) -> Sequence {
    std::array::from_fn(|i| if i == 0 { BOS } else { target[i - 1] })
}
// ANCHOR_END: shift

/// A uniformly random sequence of digits.
pub fn random_sequence(rng: &mut impl Rng) -> Sequence {
    std::array::from_fn(|_| rng.gen_range(0..VOCAB))
}

/// Training sequences drawn fresh every step, never one of the held-out sequences.
pub struct Sampler {
    rng: StdRng,
    held_out: HashSet<Sequence>,
}

impl Sampler {
    /// A sampler seeded with `seed` that skips every sequence in `held_out`.
    pub fn new(seed: u64, held_out: &[Sequence]) -> Self {
        Sampler {
            rng: StdRng::seed_from_u64(seed),
            held_out: held_out.iter().copied().collect(),
        }
    }

    /// The next `B` training sequences.
    pub fn batch<const B: usize>(&mut self) -> [Sequence; B] {
        std::array::from_fn(|_| loop {
            let sequence = random_sequence(&mut self.rng);
            if !self.held_out.contains(&sequence) {
                break sequence;
            }
        })
    }
}

/// `n` distinct held-out sequences from `seed`.
pub fn held_out_set(n: usize, seed: u64) -> Vec<Sequence> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut set = Vec::with_capacity(n);
    while set.len() < n {
        let sequence = random_sequence(&mut rng);
        if seen.insert(sequence) {
            set.push(sequence);
        }
    }
    set
}

/// The share of output positions a model that knows which digits a
/// sequence holds, but not where, gets right by writing the most frequent
/// one everywhere: `max count / T`, averaged over `sequences`.
pub fn order_blind_accuracy(sequences: &[Sequence]) -> f64 {
    let most_frequent = |sequence: &Sequence| {
        let mut counts = [0usize; VOCAB];
        for &digit in sequence {
            counts[digit] += 1;
        }
        counts.into_iter().max().unwrap_or(0)
    };
    let total: usize = sequences.iter().map(most_frequent).sum();
    total as f64 / (sequences.len() * SEQ_LEN) as f64
}
