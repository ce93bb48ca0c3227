//! Chapter 6 of *Deep Understanding of Deep Learning*: autoencoders and
//! variational autoencoders.
//!
//! PCA by subspace iteration ([`pca`]), the linear, MLP and denoising
//! autoencoders and the VAE in dfdx ([`models`], [`train`]), the Gaussian
//! pieces dfdx lacks ([`gaussian`]), and the tools that look at the codes
//! ([`evaluate`], [`knn`], [`latent`], [`figures`]).

pub mod evaluate;
pub mod exercises;
pub mod figures;
pub mod gaussian;
pub mod knn;
pub mod latent;
pub mod models;
pub mod pca;
pub mod train;

use anyhow::{anyhow, Result};
use dfdx::prelude::*;
use dudl::cli::Args;
use dudl::data::mnist::{self, Labelled, CLASSES, PIXELS};
use dudl::numbers::Numbers;
use figures::CodeScatter;
use models::{
    Autoencoder, AutoencoderArch, Classifier, ClassifierArch, LinearAe,
    LinearAeArch, Vae,
};
use pca::Pca;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// How long each model trains.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Training images used (a prefix of the 8,000).
    pub train_images: usize,
    pub linear_epochs: usize,
    pub ae_epochs: usize,
    pub vae_epochs: usize,
    pub classifier_epochs: usize,
}

impl Budget {
    pub fn full() -> Budget {
        Budget {
            train_images: 8000,
            linear_epochs: 40,
            ae_epochs: 15,
            vae_epochs: 25,
            classifier_epochs: 10,
        }
    }

    pub fn quick() -> Budget {
        Budget {
            train_images: 2000,
            linear_epochs: 2,
            ae_epochs: 2,
            vae_epochs: 2,
            classifier_epochs: 1,
        }
    }
}

/// Code size of PCA and the linear autoencoder in the first comparison.
pub const K: usize = 16;
/// Neighbours that vote in the k-NN classifier.
pub const KNN: usize = 5;
/// Code size of the plain and the denoising autoencoder compared on
/// masked digits.
pub const DENOISING_CODE: usize = 32;
/// Share of pixels masking noise erases.
pub const DROP: f64 = 0.5;
/// A prediction is confident when its top class probability is at least this.
pub const CONFIDENT: f32 = 0.9;
/// Prior samples judged by the classifier.
pub const PRIOR_SAMPLES: usize = 1000;
/// Code size of the VAE whose prior samples the classifier judges.
pub const LATENT: usize = 16;
/// The β of the β-VAE.
pub const BETA: f32 = 4.0;
/// A β large enough that the posterior collapses onto the prior.
pub const COLLAPSE_BETA: f32 = 40.0;
/// The closed-form estimator case: `d/dμ E[z²]` at `μ = 1`, `σ = 1`.
pub const ESTIMATOR_MU: f64 = 1.0;
pub const ESTIMATOR_SIGMA: f64 = 1.0;
pub const ESTIMATOR_SAMPLES: usize = 100_000;

/// The device of this chapter: the CPU, also with `--features cuda`. Its small
/// networks train several at a time on separate threads, and a CUDA device
/// cannot be shared between threads.
pub type Dev = dfdx::tensor::Cpu;

/// The figures `cargo run --release -p ch06_autoencoders` writes into
/// `images/ch06/`.
pub const FIGURES: &[&str] = &[
    "reconstructions.png",
    "codes.svg",
    "latent_grid.png",
    "prior_samples.png",
    "interpolation.png",
    "elbo_terms.svg",
    "denoising.png",
];

type Images = Vec<[f32; PIXELS]>;

/// Every trained model of the chapter.
pub struct Trained {
    pub pca: Pca,
    pub linear: LinearAe<K>,
    pub ae: Autoencoder<2>,
    /// A plain and a denoising autoencoder with a 32-number code.
    pub wide_ae: Autoencoder<DENOISING_CODE>,
    pub dae: Autoencoder<DENOISING_CODE>,
    pub vae: Vae<2>,
    pub beta_vae: Vae<2>,
    pub collapsed_vae: Vae<2>,
    pub classifier: Classifier,
    /// The 2-D VAE's and the β-VAE's two loss terms per epoch.
    pub vae_curve: train::Curve,
    pub beta_curve: train::Curve,
    pub collapse_curve: train::Curve,
    /// The VAE with a 16-D code, for prior samples.
    pub wide_vae: Vae<LATENT>,
}

/// Trains an autoencoder with an `L`-number code; with `drop`, a denoising
/// one whose inputs lose that share of their pixels (fresh each step).
fn train_ae<const L: usize>(
    images: &[[f32; PIXELS]],
    budget: Budget,
    drop: Option<f64>,
    seed: u64,
    label: &str,
) -> Result<Autoencoder<L>> {
    let dev = Dev::seed_from_u64(seed);
    dev.enable_cache(); // reuse freed buffers instead of fresh pages
    let mut ae = dev.build_module::<AutoencoderArch<L>, f32>();
    let mut rng = StdRng::seed_from_u64(seed);
    let epochs = budget.ae_epochs;
    train::fit(&mut ae, images, epochs, 1e-3, seed, label, |m, x, y, _| {
        logged(match drop {
            Some(p) => {
                let mask = train::pixel_mask(&mut rng, &dev, p);
                train::denoising_loss(m, x, y, mask)
            }
            None => train::ae_loss(m, x, y),
        })
    })?;
    Ok(ae)
}

// ANCHOR: train_vae
/// Trains a VAE with an `L`-dimensional code on the binarized `images`,
/// weighting its KL term by `beta`; returns it with its two terms per epoch.
fn train_vae<const L: usize>(
    images: &[[f32; PIXELS]],
    budget: Budget,
    beta: f32,
    seed: u64,
    label: &str,
) -> Result<(Vae<L>, train::Curve)> {
    let dev = Dev::seed_from_u64(seed);
    dev.enable_cache(); // reuse freed buffers instead of fresh pages
    let mut vae = Vae::<L>::build(&dev);
    let epochs = budget.vae_epochs;
    let curve = train::fit(
        &mut vae,
        images,
        epochs,
        1e-3,
        seed,
        label,
        |m, x, y, _| train::vae_loss(m, x, y, dev.sample_normal(), beta),
    )?;
    Ok((vae, curve))
}
// ANCHOR_END: train_vae

fn logged(loss: train::Loss) -> (train::Loss, [f64; 2]) {
    let value = loss.array() as f64;
    (loss, [value, 0.0])
}

/// Trains every model, each on its own thread and seeded device.
pub fn train_all(budget: Budget, train: &Labelled) -> Result<Trained> {
    let images = &train.images[..budget.train_images];
    let labels = &train.labels[..budget.train_images];
    let binary = &latent::binarize(images);
    std::thread::scope(|s| {
        let pca = s.spawn(|| Pca::fit(images, K));
        let linear = s.spawn(|| -> Result<_> {
            let mut m =
                Dev::seed_from_u64(1).build_module::<LinearAeArch<K>, f32>();
            let epochs = budget.linear_epochs;
            train::fit(
                &mut m,
                images,
                epochs,
                3e-3,
                1,
                "linear AE",
                |m, x, y, _| logged(train::linear_ae_loss(m, x, y)),
            )?;
            Ok(m)
        });
        let ae = s.spawn(|| train_ae::<2>(images, budget, None, 2, "2-D AE"));
        let wide_ae = s.spawn(|| {
            train_ae::<DENOISING_CODE>(images, budget, None, 13, "32-D AE")
        });
        let dae = s.spawn(|| {
            let drop = Some(DROP);
            train_ae::<DENOISING_CODE>(images, budget, drop, 3, "denoising AE")
        });
        let plain_vae =
            s.spawn(|| train_vae::<2>(binary, budget, 1.0, 4, "VAE"));
        let beta_vae =
            s.spawn(|| train_vae::<2>(binary, budget, BETA, 5, "β-VAE"));
        let collapsed_vae = s.spawn(|| {
            train_vae::<2>(binary, budget, COLLAPSE_BETA, 14, "β = 40 VAE")
        });
        let wide_vae = s
            .spawn(|| train_vae::<LATENT>(binary, budget, 1.0, 12, "16-D VAE"));
        let classifier = s.spawn(|| -> Result<_> {
            let mut m =
                Dev::seed_from_u64(6).build_module::<ClassifierArch, f32>();
            let epochs = budget.classifier_epochs;
            train::fit(
                &mut m,
                images,
                epochs,
                1e-3,
                6,
                "classifier",
                |m, x, _, indices| {
                    let batch_labels: Vec<usize> =
                        indices.iter().map(|&i| labels[i]).collect();
                    logged(train::classifier_loss(m, x, &batch_labels))
                },
            )?;
            Ok(m)
        });
        let join = |name: &str| anyhow!("the {name} thread panicked");
        let (vae, vae_curve) = plain_vae.join().map_err(|_| join("VAE"))??;
        let (beta_vae, beta_curve) =
            beta_vae.join().map_err(|_| join("β-VAE"))??;
        let (collapsed_vae, collapse_curve) =
            collapsed_vae.join().map_err(|_| join("β = 40 VAE"))??;
        let (wide_vae, _) = wide_vae.join().map_err(|_| join("16-D VAE"))??;
        Ok(Trained {
            pca: pca.join().map_err(|_| join("PCA"))??,
            linear: linear.join().map_err(|_| join("linear AE"))??,
            ae: ae.join().map_err(|_| join("AE"))??,
            wide_ae: wide_ae.join().map_err(|_| join("32-D AE"))??,
            dae: dae.join().map_err(|_| join("denoising AE"))??,
            vae,
            beta_vae,
            collapsed_vae,
            classifier: classifier.join().map_err(|_| join("classifier"))??,
            vae_curve,
            beta_curve,
            collapse_curve,
            wide_vae,
        })
    })
}

/// The first held-out image of each digit 0–9.
fn one_per_digit(test: &Labelled) -> Vec<usize> {
    (0..CLASSES)
        .filter_map(|d| test.labels.iter().position(|&l| l == d))
        .collect()
}

fn rows(images: &[[f32; PIXELS]], picks: &[usize]) -> Vec<Vec<f32>> {
    picks.iter().map(|&i| images[i].to_vec()).collect()
}

fn pca_codes(pca: &Pca, images: &[[f32; PIXELS]]) -> Vec<[f32; 2]> {
    images
        .iter()
        .map(|x| {
            let z = pca.encode(x);
            [z[0] as f32, z[1] as f32]
        })
        .collect()
}

fn pca_reconstructions(pca: &Pca, images: &[[f32; PIXELS]]) -> Images {
    images
        .iter()
        .map(|x| {
            let r = pca.decode(&pca.encode(x));
            std::array::from_fn(|p| r[p] as f32)
        })
        .collect()
}

/// The held-out images with masking noise (a fixed seed).
fn masked(images: &[[f32; PIXELS]]) -> Images {
    let mut rng = StdRng::seed_from_u64(7);
    images
        .iter()
        .map(|x| x.map(|v| if rng.gen_bool(DROP) { 0.0 } else { v }))
        .collect()
}

/// Trains everything on `budget`, writes [`FIGURES`] into `args.out_dir`
/// and returns the numbers the text quotes.
pub fn write_chapter(args: &Args) -> Result<Numbers> {
    let budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    let data = mnist::load(&mnist::default_dir())?;
    let (train_set, test) = (&data.train, &data.test);
    let trained = train_all(budget, train_set)?;
    let mut numbers = Numbers::new();
    numbers.count("train_images", budget.train_images);
    numbers.count("test_images", test.len());
    numbers.count("linear_epochs", budget.linear_epochs);
    numbers.count("ae_epochs", budget.ae_epochs);
    numbers.count("vae_epochs", budget.vae_epochs);
    numbers.count("classifier_epochs", budget.classifier_epochs);
    let train_images = &train_set.images[..budget.train_images];
    let train_labels = &train_set.labels[..budget.train_images];

    // PCA and the linear autoencoder at code size K
    let pca = &trained.pca;
    let pca2 = pca.truncated(2);
    let pca_k_error = pca.reconstruction_error(&test.images);
    let linear =
        evaluate::linear_reconstructions(&trained.linear, &test.images);
    let linear_error = evaluate::mse(&test.images, &linear);
    numbers.count("k", K);
    numbers.fixed("pca_k_error", pca_k_error, 5);
    numbers.fixed("linear_error", linear_error, 5);
    numbers.percent("linear_gap", linear_error / pca_k_error - 1.0, 1);
    let total_variance: f64 = {
        let (_, cov) = pca::mean_and_covariance(train_images);
        (0..PIXELS).map(|i| cov[i * PIXELS + i]).sum()
    };
    let explained =
        |k: usize| pca.variances[..k].iter().sum::<f64>() / total_variance;
    numbers.percent("explained_2", explained(2), 1);
    numbers.percent("explained_k", explained(K), 1);
    numbers.fixed("eigen_1", pca.variances[0], 2);
    numbers.fixed("eigen_2", pca.variances[1], 2);

    // two-dimensional codes: PCA-2, the autoencoder, the VAE
    let pca2_error = pca2.reconstruction_error(&test.images);
    let ae = evaluate::reconstructions(&trained.ae, &test.images);
    let ae_error = evaluate::mse(&test.images, &ae);
    numbers.fixed("pca2_error", pca2_error, 4);
    numbers.fixed("ae2_error", ae_error, 4);
    numbers.percent("ae2_gain", 1.0 - ae_error / pca2_error, 0);
    let binary_test = latent::binarize(&test.images);
    let binary_train = latent::binarize(train_images);
    let codes = [
        (
            pca_codes(&pca2, train_images),
            pca_codes(&pca2, &test.images),
        ),
        (
            evaluate::codes(&trained.ae, train_images),
            evaluate::codes(&trained.ae, &test.images),
        ),
        (
            evaluate::posterior_means(&trained.vae, &binary_train),
            evaluate::posterior_means(&trained.vae, &binary_test),
        ),
    ];
    numbers.count("knn_k", KNN);
    for ((train_codes, test_codes), name) in
        codes.iter().zip(["pca2", "ae2", "vae"])
    {
        let accuracy = knn::knn_accuracy(
            train_codes,
            train_labels,
            test_codes,
            &test.labels,
            KNN,
        );
        numbers.percent(&format!("knn_{name}"), accuracy, 1);
    }
    let [(_, pca_test), (_, ae_test), (_, vae_test)] = &codes;
    figures::codes(
        &args.figure("codes.svg"),
        [
            CodeScatter {
                title: "PCA, 2 components",
                codes: pca_test,
                labels: &test.labels,
            },
            CodeScatter {
                title: "Autoencoder, 2-D code",
                codes: ae_test,
                labels: &test.labels,
            },
            CodeScatter {
                title: "VAE, posterior means μ(x)",
                codes: vae_test,
                labels: &test.labels,
            },
        ],
    )?;

    // the VAE: ELBO, aggregate posterior, samples, grid, interpolation
    let elbo_dev = Dev::seed_from_u64(8);
    let vaes = [
        (&trained.vae, "vae"),
        (&trained.beta_vae, "beta"),
        (&trained.collapsed_vae, "collapse"),
    ];
    for (vae, name) in vaes {
        let per_image = evaluate::elbo(vae, &binary_test, &elbo_dev);
        let mean_of = |c: usize| {
            per_image.iter().map(|r| r[c] as f64).sum::<f64>()
                / per_image.len() as f64
        };
        numbers.fixed(&format!("{name}_elbo"), mean_of(0), 1);
        numbers.fixed(&format!("{name}_reconstruction"), -mean_of(1), 1);
        numbers.fixed(&format!("{name}_kl"), mean_of(2), 2);
    }
    // the collapsed posterior is the prior by construction: not quoted
    for (vae, name) in &vaes[..2] {
        let moments = latent::aggregate_moments(
            &evaluate::posterior_means(vae, &binary_test),
            &evaluate::posterior_variances(vae, &binary_test),
        );
        for (j, (mean, var)) in moments.iter().enumerate() {
            numbers.fixed(
                &format!("{name}_aggregate_mean_{}", j + 1),
                *mean,
                2,
            );
            numbers.fixed(&format!("{name}_aggregate_var_{}", j + 1), *var, 2);
        }
    }
    numbers.fixed("beta", BETA as f64, 0);
    numbers.fixed("collapse_beta", COLLAPSE_BETA as f64, 0);
    numbers.count("latent", LATENT);
    let per_image = evaluate::elbo(&trained.wide_vae, &binary_test, &elbo_dev);
    let wide_elbo = per_image.iter().map(|r| r[0] as f64).sum::<f64>()
        / per_image.len() as f64;
    numbers.fixed("wide_elbo", wide_elbo, 1);
    let wide_kl = per_image.iter().map(|r| r[2] as f64).sum::<f64>()
        / per_image.len() as f64;
    numbers.fixed("wide_kl", wide_kl, 1);
    let vae = &trained.vae;
    let picks = one_per_digit(test);
    let vae_recon = evaluate::vae_reconstructions(vae, &binary_test);
    let mut tiles = rows(&test.images, &picks);
    tiles.extend(rows(&pca_reconstructions(pca, &test.images), &picks));
    tiles.extend(rows(&linear, &picks));
    tiles.extend(rows(&pca_reconstructions(&pca2, &test.images), &picks));
    tiles.extend(rows(&ae, &picks));
    tiles.extend(rows(&binary_test, &picks));
    tiles.extend(rows(&vae_recon, &picks));
    let collapsed =
        evaluate::vae_reconstructions(&trained.collapsed_vae, &binary_test);
    tiles.extend(rows(&collapsed, &picks));
    figures::digit_grid(&args.figure("reconstructions.png"), &tiles, CLASSES)?;

    let grid = evaluate::decode(vae, &latent::latent_grid(20));
    let grid: Vec<Vec<f32>> = grid.iter().map(|x| x.to_vec()).collect();
    figures::digit_grid(&args.figure("latent_grid.png"), &grid, 20)?;

    let prior_dev = Dev::seed_from_u64(9);
    let prior: Tensor<Rank2<PRIOR_SAMPLES, LATENT>, f32, Dev> =
        prior_dev.sample_normal();
    let prior: Vec<[f32; LATENT]> = prior
        .as_vec()
        .chunks_exact(LATENT)
        .map(|z| z.try_into().expect("LATENT values"))
        .collect();
    let samples = evaluate::decode(&trained.wide_vae, &prior);
    let tiles: Vec<Vec<f32>> =
        samples[..100].iter().map(|x| x.to_vec()).collect();
    figures::digit_grid(&args.figure("prior_samples.png"), &tiles, 10)?;
    let judged = evaluate::class_probabilities(&trained.classifier, &samples);
    let test_probabilities =
        evaluate::class_probabilities(&trained.classifier, &test.images);
    let argmax = |p: &[f32; CLASSES]| {
        (0..CLASSES)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(0)
    };
    let test_accuracy = test_probabilities
        .iter()
        .zip(&test.labels)
        .filter(|(p, &l)| argmax(p) == l)
        .count() as f64
        / test.len() as f64;
    numbers.percent("classifier_accuracy", test_accuracy, 1);
    let confident: Vec<usize> = judged
        .iter()
        .filter(|p| p.iter().any(|&q| q >= CONFIDENT))
        .map(argmax)
        .collect();
    numbers.count("prior_samples", PRIOR_SAMPLES);
    numbers.percent("confident", CONFIDENT as f64, 0);
    numbers.percent(
        "prior_confident",
        confident.len() as f64 / PRIOR_SAMPLES as f64,
        1,
    );
    let mut per_class = [0usize; CLASSES];
    confident.iter().for_each(|&c| per_class[c] += 1);
    numbers.count(
        "prior_classes",
        per_class.iter().filter(|&&n| n > 0).count(),
    );
    numbers.count("prior_rarest", *per_class.iter().min().unwrap_or(&0));

    let means = evaluate::posterior_means(vae, &binary_test);
    let pairs = [
        (picks[1], picks[0]),
        (picks[7], picks[3]),
        (picks[9], picks[6]),
    ];
    let mut tiles = Vec::new();
    for (a, b) in pairs {
        let line = latent::interpolate(&means[a], &means[b], 10);
        tiles.extend(evaluate::decode(vae, &line).iter().map(|x| x.to_vec()));
    }
    figures::digit_grid(&args.figure("interpolation.png"), &tiles, 10)?;
    figures::elbo_terms(
        &args.figure("elbo_terms.svg"),
        &[
            (1.0, &trained.vae_curve),
            (BETA as f64, &trained.beta_curve),
            (COLLAPSE_BETA as f64, &trained.collapse_curve),
        ],
    )?;

    // denoising
    let noisy = masked(&test.images);
    let plain_on_noisy = evaluate::reconstructions(&trained.wide_ae, &noisy);
    let denoised = evaluate::reconstructions(&trained.dae, &noisy);
    numbers.percent("drop", DROP, 0);
    numbers.count("denoising_code", DENOISING_CODE);
    numbers.fixed(
        "ae_clean_error",
        evaluate::mse(
            &test.images,
            &evaluate::reconstructions(&trained.wide_ae, &test.images),
        ),
        4,
    );
    numbers.fixed("noisy_error", evaluate::mse(&test.images, &noisy), 4);
    numbers.fixed(
        "ae_noisy_error",
        evaluate::mse(&test.images, &plain_on_noisy),
        4,
    );
    numbers.fixed("dae_error", evaluate::mse(&test.images, &denoised), 4);
    numbers.fixed(
        "dae_clean_error",
        evaluate::mse(
            &test.images,
            &evaluate::reconstructions(&trained.dae, &test.images),
        ),
        4,
    );
    let mut tiles = rows(&test.images, &picks);
    tiles.extend(rows(&noisy, &picks));
    tiles.extend(rows(&plain_on_noisy, &picks));
    tiles.extend(rows(&denoised, &picks));
    figures::digit_grid(&args.figure("denoising.png"), &tiles, CLASSES)?;

    record_gaussian_checks(&mut numbers);
    numbers.write(&args.out_dir)?;
    Ok(numbers)
}

/// The two checks with a closed form: the estimators' variances and the KL.
fn record_gaussian_checks(numbers: &mut Numbers) {
    let (mu, sigma, n) = (ESTIMATOR_MU, ESTIMATOR_SIGMA, ESTIMATOR_SAMPLES);
    numbers.fixed("estimator_mu", mu, 0);
    numbers.fixed("estimator_sigma", sigma, 0);
    numbers.count("estimator_samples", n);
    numbers.fixed(
        "score_variance_exact",
        gaussian::score_function_variance(mu, sigma),
        0,
    );
    numbers.fixed(
        "reparam_variance_exact",
        gaussian::reparameterization_variance(sigma),
        0,
    );
    let score = gaussian::sample_moments(
        gaussian::score_function_estimate,
        mu,
        sigma,
        n,
        10,
    );
    let reparam = gaussian::sample_moments(
        gaussian::reparameterization_estimate,
        mu,
        sigma,
        n,
        10,
    );
    numbers.fixed("score_mean", score.0, 3);
    numbers.fixed("score_variance", score.1, 2);
    numbers.fixed("reparam_mean", reparam.0, 3);
    numbers.fixed("reparam_variance", reparam.1, 2);
    let (means, sigmas) = (KL_MEANS, KL_SIGMAS);
    let closed: f64 = means
        .iter()
        .zip(&sigmas)
        .map(|(&m, &s)| gaussian::kl_to_standard_normal(m, s))
        .sum();
    numbers.fixed("kl_closed", closed, 4);
    numbers.fixed(
        "kl_monte_carlo",
        gaussian::kl_monte_carlo(&means, &sigmas, n, 11),
        4,
    );
}

/// The posterior of the KL check: `μ = (0.5, −1)`, `σ = (0.8, 1.5)`.
pub const KL_MEANS: [f64; 2] = [0.5, -1.0];
pub const KL_SIGMAS: [f64; 2] = [0.8, 1.5];

/// The chapter binary: trains, writes the figures and numbers, prints them.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let numbers = write_chapter(args)?;
    numbers.print();
    println!(
        "wrote {} figures and {} to {} in {:.1} s",
        FIGURES.len(),
        dudl::numbers::FILE,
        args.out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
