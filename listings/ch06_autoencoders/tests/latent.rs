//! The tools that look at codes: k-NN, the normal quantile of the latent
//! grid, interpolation, the aggregate posterior, exercise 1.

use ch06_autoencoders::exercises::{kl_gaussians, kl_gaussians_monte_carlo};
use ch06_autoencoders::gaussian::kl_to_standard_normal;
use ch06_autoencoders::knn::knn_accuracy;
use ch06_autoencoders::latent::*;

#[test]
fn knn_votes_among_the_nearest_codes() {
    let train = [
        [0.0f32, 0.0],
        [0.1, 0.0],
        [0.0, 0.1],
        [5.0, 5.0],
        [5.1, 5.0],
    ];
    let labels = [0, 0, 0, 1, 1];
    let test = [[0.05f32, 0.05], [4.9, 5.0]];
    assert_eq!(knn_accuracy(&train, &labels, &test, &[0, 1], 1), 1.0);
    assert_eq!(knn_accuracy(&train, &labels, &test, &[0, 1], 3), 1.0);
    // with all five voting, the three 0s outvote the two 1s
    assert_eq!(knn_accuracy(&train, &labels, &test, &[0, 1], 5), 0.5);
}

#[test]
fn normal_quantile_inverts_the_gaussian_cdf() {
    assert!(normal_quantile(0.5).abs() < 1e-12);
    assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-8);
    assert!((normal_quantile(0.01) + 2.326347874040841).abs() < 1e-8);
}

#[test]
fn the_latent_grid_is_symmetric_with_the_top_row_at_large_z2() {
    let grid = latent_grid(4);
    assert_eq!(grid.len(), 16);
    assert!(grid[0][1] > 0.0 && grid[15][1] < 0.0 && grid[0][0] < 0.0);
    assert!((grid[0][0] + grid[3][0]).abs() < 1e-6);
}

#[test]
fn interpolation_runs_from_a_to_b() {
    let line = interpolate(&[0.0f32, 2.0], &[1.0, 0.0], 5);
    assert_eq!(line[0], [0.0, 2.0]);
    assert_eq!(line[4], [1.0, 0.0]);
    assert_eq!(line[2], [0.5, 1.0]);
}

#[test]
fn aggregate_variance_adds_spread_of_means_and_mean_variance() {
    let means = [[1.0f32], [-1.0]];
    let variances = [[0.5f32], [0.5]];
    let [(mean, var)] = aggregate_moments(&means, &variances);
    assert_eq!((mean, var), (0.0, 1.5));
}

#[test]
fn exercise_1_kl_between_gaussians_matches_monte_carlo_and_the_prior_case() {
    let closed = kl_gaussians(0.5, 0.8, -0.3, 1.4);
    let sampled = kl_gaussians_monte_carlo((0.5, 0.8), (-0.3, 1.4), 200_000, 3);
    assert!((closed - sampled).abs() < 0.01, "{closed} vs {sampled}");
    let prior = kl_gaussians(0.5, 0.8, 0.0, 1.0);
    assert!((prior - kl_to_standard_normal(0.5, 0.8)).abs() < 1e-15);
    assert!(kl_gaussians(0.5, 0.8, 0.5, 0.8).abs() < 1e-15);
}
