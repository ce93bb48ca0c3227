//! PCA: the subspace-iteration eigen-solver, reconstruction, and the
//! exercise on discarded variance.

use ch06_autoencoders::exercises::error_and_discarded_variance;
use ch06_autoencoders::pca::{top_eigen, Pca};
use dudl::data::mnist;
use dudl::linalg::symmetric_eigen;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn subspace_iteration_finds_the_top_eigenpairs_jacobi_finds() {
    let n = 30;
    let mut rng = StdRng::seed_from_u64(1);
    let b: Vec<f64> = (0..n * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    // a covariance-like matrix BᵀB
    let a: Vec<f64> = (0..n * n)
        .map(|ij| (0..n).map(|k| b[k * n + ij / n] * b[k * n + ij % n]).sum())
        .collect();
    let (values, vectors) = top_eigen(&a, n, 4, 300).unwrap();
    let exact = symmetric_eigen(&a, n).unwrap();
    for i in 0..4 {
        assert!((values[i] - exact.values[i]).abs() < 1e-8 * exact.values[0]);
        let overlap: f64 = vectors[i]
            .iter()
            .zip(exact.vector(i))
            .map(|(x, y)| x * y)
            .sum();
        assert!((overlap.abs() - 1.0).abs() < 1e-8, "vector {i}: {overlap}");
    }
}

#[test]
fn pca_error_on_its_training_set_is_the_discarded_variance() {
    let data = mnist::load(&mnist::default_dir()).unwrap();
    let (error, discarded) =
        error_and_discarded_variance(&data.train.prefix(1000).images, 4)
            .unwrap();
    assert!(
        (error - discarded).abs() < 1e-3 * discarded,
        "{error} vs {discarded}"
    );
}

#[test]
fn more_components_reconstruct_better() {
    let data = mnist::load(&mnist::default_dir()).unwrap();
    let images = &data.train.prefix(1000).images;
    let pca = Pca::fit(images, 8).unwrap();
    let errors: Vec<f64> = [1, 2, 4, 8]
        .iter()
        .map(|&k| pca.truncated(k).reconstruction_error(&data.test.images))
        .collect();
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "{errors:?}");
}
