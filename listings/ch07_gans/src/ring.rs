//! Eight Gaussians on a ring: small MLPs in dfdx, a vanilla GAN against one
//! whose discriminator judges packs of samples (PacGAN, Lin et al. 2018).

use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Modes on the ring, its radius and each mode's standard deviation.
pub const MODES: usize = 8;
pub const RADIUS: f32 = 2.0;
pub const MODE_STD: f32 = 0.05;
/// Latent size, hidden width, samples per step.
pub const LATENT: usize = 8;
pub const HIDDEN: usize = 64;
pub const BATCH: usize = 256;
/// Samples drawn to count modes.
pub const EVAL: usize = 2048;

/// The centre of mode `k`.
pub fn centre(k: usize) -> [f32; 2] {
    let angle = 2.0 * std::f32::consts::PI * k as f32 / MODES as f32;
    [RADIUS * angle.cos(), RADIUS * angle.sin()]
}

/// `n` points of the ring, flattened `(x, y)` pairs.
pub fn sample_ring(n: usize, rng: &mut StdRng) -> Vec<f32> {
    (0..n)
        .flat_map(|_| {
            let [cx, cy] = centre(rng.gen_range(0..MODES));
            let (nx, ny): (f32, f32) =
                (rng.sample(StandardNormal), rng.sample(StandardNormal));
            [cx + MODE_STD * nx, cy + MODE_STD * ny]
        })
        .collect()
}

// ANCHOR: models
/// Generator: latent `z ∈ ℝ⁸` to a point of the plane.
pub type Generator = (
    (Linear<LATENT, HIDDEN>, ReLU),
    (Linear<HIDDEN, HIDDEN>, ReLU),
    Linear<HIDDEN, 2>,
);
/// Discriminator on `PACK` points at once (`IN = 2·PACK` inputs): one logit.
pub type Discriminator<const IN: usize> = (
    (Linear<IN, HIDDEN>, LeakyReLU<f32>),
    (Linear<HIDDEN, HIDDEN>, LeakyReLU<f32>),
    Linear<HIDDEN, 1>,
);
// ANCHOR_END: models

/// Which modes a set of samples covers, and how well.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Samples within 3 standard deviations of mode `k`.
    pub per_mode: [usize; MODES],
    /// Samples looked at.
    pub total: usize,
}

impl Coverage {
    /// Counts, for each mode, the samples within `3·MODE_STD` of its centre.
    pub fn of(points: &[f32]) -> Coverage {
        let mut per_mode = [0; MODES];
        for p in points.chunks_exact(2) {
            for (k, count) in per_mode.iter_mut().enumerate() {
                let [cx, cy] = centre(k);
                if (p[0] - cx).hypot(p[1] - cy) < 3.0 * MODE_STD {
                    *count += 1;
                }
            }
        }
        Coverage {
            per_mode,
            total: points.len() / 2,
        }
    }

    /// Modes that hold at least 1% of the samples.
    pub fn modes_covered(&self) -> usize {
        self.per_mode
            .iter()
            .filter(|&&c| 100 * c >= self.total)
            .count()
    }

    /// Share of samples within 3 standard deviations of some mode.
    pub fn near_a_mode(&self) -> f64 {
        self.per_mode.iter().sum::<usize>() as f64 / self.total as f64
    }
}

/// What one ring run gives: snapshots of generator samples, and coverage.
pub struct RingRun {
    /// `(step, samples)` at each snapshot.
    pub snapshots: Vec<(usize, Vec<f32>)>,
    pub coverage: Coverage,
}

/// Generator samples, flattened: `EVAL` of them.
fn generate(
    g: &<Generator as BuildOnDevice<Cpu, f32>>::Built,
    dev: &Cpu,
) -> Vec<f32> {
    let z: Tensor<Rank2<EVAL, LATENT>, f32, _> = dev.sample_normal();
    g.forward(z).as_vec()
}

// ANCHOR: train_ring
/// Trains a GAN on the ring for `steps` steps. The discriminator sees
/// `PACK` samples at once (`IN = 2·PACK`, `M = BATCH / PACK` packs): with
/// `PACK = 1` it is the vanilla GAN. Both players use Adam with β₁ = 0.5
/// and the generator the non-saturating loss.
pub fn train<const PACK: usize, const IN: usize, const M: usize>(
    steps: usize,
    snapshot_every: usize,
    seed: u64,
) -> RingRun {
    assert!(
        IN == 2 * PACK && M * PACK == BATCH,
        "IN = 2·PACK, M = BATCH/PACK"
    );
    let dev = Cpu::seed_from_u64(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = dev.build_module::<Generator, f32>();
    let mut d = dev.build_module::<Discriminator<IN>, f32>();
    let cfg = AdamConfig {
        lr: 1e-3,
        betas: [0.5, 0.999],
        ..Default::default()
    };
    let (mut g_opt, mut d_opt) = (Adam::new(&g, cfg), Adam::new(&d, cfg));
    let (mut g_grads, mut d_grads) = (g.alloc_grads(), d.alloc_grads());
    let (ones, zeros) = (dev.ones::<Rank2<M, 1>>(), dev.zeros::<Rank2<M, 1>>());
    let mut real = dev.zeros::<Rank2<M, IN>>();
    let mut snapshots = Vec::new();
    for step in 0..=steps {
        if step % snapshot_every == 0 {
            snapshots.push((step, generate(&g, &dev)));
        }
        if step == steps {
            break;
        }
        // Discriminator: real packs labelled 1, fake packs labelled 0.
        real.copy_from(&sample_ring(BATCH, &mut rng));
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let fake = g.forward(z).reshape::<Rank2<M, IN>>();
        let real_logits = d.forward(real.trace(d_grads));
        let fake_logits = d.forward(fake.trace(d.alloc_grads()));
        let d_loss =
            binary_cross_entropy_with_logits_loss(real_logits, ones.clone())
                + binary_cross_entropy_with_logits_loss(
                    fake_logits,
                    zeros.clone(),
                );
        d_grads = d_loss.backward();
        d_opt
            .update(&mut d, &d_grads)
            .expect("unused discriminator parameter");
        d.zero_grads(&mut d_grads);
        // Generator: non-saturating loss −ln D(G(z)).
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let fake = g.forward(z.trace(g_grads)).reshape::<Rank2<M, IN>>();
        let g_loss = binary_cross_entropy_with_logits_loss(
            d.forward(fake),
            ones.clone(),
        );
        g_grads = g_loss.backward();
        g_opt
            .update(&mut g, &g_grads)
            .expect("unused generator parameter");
        g.zero_grads(&mut g_grads);
    }
    let coverage = Coverage::of(&snapshots.last().expect("a snapshot").1);
    RingRun {
        snapshots,
        coverage,
    }
}
// ANCHOR_END: train_ring
