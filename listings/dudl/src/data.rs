//! Datasets: seeded 2-D generators (two moons, spirals, Gaussian blobs) and the shipped
//! handwritten [`digits`] (8 × 8) and [`mnist`] (28 × 28).
//!
//! Every generator takes a `seed`, so a figure drawn from it is the same on every machine.

pub mod digits;
pub mod mnist;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Labelled points in the plane: `points[i]` has class `labels[i]` in `0..classes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Points2d {
    pub points: Vec<[f32; 2]>,
    pub labels: Vec<usize>,
    pub classes: usize,
}

impl Points2d {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Shuffles with `seed` and splits into `(train, test)`, `test_fraction` of the points
    /// going to the test set.
    pub fn split(&self, test_fraction: f32, seed: u64) -> (Points2d, Points2d) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_test = (self.len() as f32 * test_fraction).round() as usize;
        let (test, train) = order.split_at(n_test);
        (self.subset(train), self.subset(test))
    }

    fn subset(&self, indices: &[usize]) -> Points2d {
        Points2d {
            points: indices.iter().map(|&i| self.points[i]).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }
}

fn gaussian(std: f32) -> Normal<f32> {
    Normal::new(0.0, std).expect("a noise level is a finite, non-negative number")
}

/// Two interleaving half circles, `n` points in all (class 0: upper moon, class 1: lower),
/// with Gaussian noise of standard deviation `noise` added to both coordinates.
pub fn two_moons(n: usize, noise: f32, seed: u64) -> Points2d {
    let mut rng = StdRng::seed_from_u64(seed);
    let jitter = gaussian(noise);
    let mut data = Points2d {
        points: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        classes: 2,
    };
    for i in 0..n {
        let class = i % 2;
        let angle = rng.gen_range(0.0..std::f32::consts::PI);
        let (x, y) = if class == 0 {
            (angle.cos(), angle.sin())
        } else {
            (1.0 - angle.cos(), 0.5 - angle.sin())
        };
        data.points
            .push([x + jitter.sample(&mut rng), y + jitter.sample(&mut rng)]);
        data.labels.push(class);
    }
    data
}

/// `classes` interleaved spiral arms of `per_class` points each, radius growing from 0 to 1
/// over one and a half turns; `noise` is the standard deviation of the angular jitter.
pub fn spirals(per_class: usize, classes: usize, noise: f32, seed: u64) -> Points2d {
    let mut rng = StdRng::seed_from_u64(seed);
    let jitter = gaussian(noise);
    let mut data = Points2d {
        points: Vec::with_capacity(per_class * classes),
        labels: Vec::with_capacity(per_class * classes),
        classes,
    };
    let turn = std::f32::consts::TAU;
    for class in 0..classes {
        for i in 0..per_class {
            let radius = i as f32 / per_class as f32;
            let angle = 1.5 * turn * radius
                + turn * class as f32 / classes as f32
                + jitter.sample(&mut rng);
            data.points
                .push([radius * angle.cos(), radius * angle.sin()]);
            data.labels.push(class);
        }
    }
    data
}

/// `per_class` points around each of `centers`, isotropic Gaussian with standard deviation
/// `std`; class `k` is the blob around `centers[k]`.
pub fn gaussian_blobs(per_class: usize, centers: &[[f32; 2]], std: f32, seed: u64) -> Points2d {
    let mut rng = StdRng::seed_from_u64(seed);
    let spread = gaussian(std);
    let mut data = Points2d {
        points: Vec::with_capacity(per_class * centers.len()),
        labels: Vec::with_capacity(per_class * centers.len()),
        classes: centers.len(),
    };
    for (class, center) in centers.iter().enumerate() {
        for _ in 0..per_class {
            data.points.push([
                center[0] + spread.sample(&mut rng),
                center[1] + spread.sample(&mut rng),
            ]);
            data.labels.push(class);
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_reproducible_from_their_seed() {
        assert_eq!(two_moons(50, 0.1, 7), two_moons(50, 0.1, 7));
        assert_ne!(two_moons(50, 0.1, 7), two_moons(50, 0.1, 8));
        assert_eq!(spirals(20, 3, 0.2, 1), spirals(20, 3, 0.2, 1));
        assert_eq!(
            gaussian_blobs(10, &[[0.0, 0.0], [3.0, 3.0]], 0.5, 2),
            gaussian_blobs(10, &[[0.0, 0.0], [3.0, 3.0]], 0.5, 2)
        );
    }

    #[test]
    fn classes_are_balanced_and_labels_in_range() {
        let moons = two_moons(101, 0.1, 0);
        let ones = moons.labels.iter().filter(|&&c| c == 1).count();
        assert_eq!((ones, moons.len() - ones), (50, 51));
        let arms = spirals(30, 3, 0.1, 0);
        assert_eq!(arms.len(), 90);
        assert!(arms.labels.iter().all(|&c| c < 3));
    }

    #[test]
    fn split_partitions_the_points() {
        let moons = two_moons(200, 0.1, 3);
        let (train, test) = moons.split(0.25, 9);
        assert_eq!((train.len(), test.len()), (150, 50));
        let mut all: Vec<_> = train
            .points
            .iter()
            .chain(&test.points)
            .map(|p| p.map(f32::to_bits))
            .collect();
        let mut original: Vec<_> = moons.points.iter().map(|p| p.map(f32::to_bits)).collect();
        all.sort();
        original.sort();
        assert_eq!(all, original);
    }
}
