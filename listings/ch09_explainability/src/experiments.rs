//! The chapter's measurements: each trains or evaluates through the listings' code and returns
//! the numbers the text quotes and the tests assert.

use crate::cam::{argmax, cam, chance, grad_cam, hits};
use crate::model::{
    class_gradients, logits_of, predictions, train, Budget, DigitNet, Model,
    Net, Rectifier,
};
use dfdx::nn::BuildOnDevice;
use dfdx::tensor::Cpu;

/// The trained digit classifier.
pub type Digits = <DigitNet as BuildOnDevice<Cpu, f32>>::Built;
use crate::saliency::{integrated_gradients, vanilla_gradient};
use crate::sanity::{cascade, spearman, LAYERS};
use crate::shapes::{self, Scene, CLASSES, SIDE};
use anyhow::{Context, Result};
use dudl::data::mnist;
use rand::Rng;

/// The feature maps are half the canvas: each cell covers 2 × 2 pixels.
pub const CELL: usize = 2;
/// Cells per side of a shape canvas's feature maps.
pub const CELLS: usize = SIDE / CELL;

/// How much of everything a run does.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub shapes: Budget,
    pub digits: Budget,
    /// Held-out single-shape canvases (accuracy, pointing game).
    pub test_images: usize,
    /// Held-out canvases explained one by one (saliency mass, IG, sanity).
    pub explained: usize,
    /// Two-object canvases.
    pub pairs: usize,
}

/// Seeds of the held-out sets: never the training sampler's.
pub const TEST_SEED: u64 = 9_001;
pub const PAIRS_SEED: u64 = 9_002;

impl Plan {
    /// What `cargo run --release -p ch09_explainability` does.
    pub fn full() -> Plan {
        Plan {
            shapes: Budget {
                steps: 800,
                learning_rate: 3e-3,
                seed: 1,
            },
            digits: Budget {
                steps: 500,
                learning_rate: 3e-3,
                seed: 2,
            },
            test_images: 1000,
            explained: 100,
            pairs: 200,
        }
    }

    /// The tests' budget: the same code, fewer steps and images.
    pub fn quick() -> Plan {
        Plan {
            shapes: Budget {
                steps: 400,
                ..Plan::full().shapes
            },
            digits: Budget {
                steps: 200,
                ..Plan::full().digits
            },
            test_images: 300,
            explained: 40,
            pairs: 100,
        }
    }
}

/// Trains the shape classifier on fresh single-shape canvases.
pub fn train_shapes(budget: Budget) -> Model<CLASSES> {
    train::<Net<CLASSES>, CLASSES>(budget, SIDE, "shapes", |rng| {
        let class = rng.gen_range(0..CLASSES);
        (shapes::scene(rng, &[class]).pixels, class)
    })
}

/// The pixels of each scene.
pub fn pixels(scenes: &[Scene]) -> Vec<Vec<f32>> {
    scenes.iter().map(|s| s.pixels.clone()).collect()
}

/// The share of `predicted` labels equal to `truth`.
pub fn accuracy(predicted: &[usize], truth: &[usize]) -> f64 {
    let right = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    right as f64 / truth.len() as f64
}

/// The pointing game over single-shape canvases, and the CAM identity.
#[derive(Clone, Debug)]
pub struct Pointing {
    /// Share of canvases whose Grad-CAM maximum (for the true class) hits the box.
    pub hit_rate: f64,
    /// Mean share of map cells that overlap the box: a uniform guess's hit rate.
    pub chance_rate: f64,
    /// `max |GradCAM − relu(CAM)/Z|` over all maps, relative to `max GradCAM`.
    pub identity_error: f64,
}

// ANCHOR: pointing_game
/// Plays the pointing game with Grad-CAM for each scene's true class and
/// checks Grad-CAM against `relu(CAM) / Z`, `Z = CELLS²`.
pub fn pointing_game(model: &Model<CLASSES>, scenes: &[Scene]) -> Pointing {
    let images = pixels(scenes);
    let classes: Vec<usize> =
        scenes.iter().map(|s| s.objects[0].class).collect();
    let grad_maps = grad_cam(model, &images, &classes, SIDE);
    let cam_maps = cam(model, &images, &classes, SIDE);
    let z = (CELLS * CELLS) as f32;
    let (mut hit, mut chance_sum, mut worst, mut largest) =
        (0, 0.0, 0f32, 0f32);
    for ((scene, g), c) in scenes.iter().zip(&grad_maps).zip(&cam_maps) {
        let bbox = &scene.objects[0].bbox;
        hit += usize::from(hits(bbox, argmax(g, CELLS), CELL));
        chance_sum += chance(bbox, CELLS, CELL);
        for (g, c) in g.iter().zip(c) {
            worst = worst.max((g - c.max(0.0) / z).abs());
            largest = largest.max(g.abs());
        }
    }
    let n = scenes.len() as f64;
    Pointing {
        hit_rate: hit as f64 / n,
        chance_rate: chance_sum / n,
        identity_error: (worst / largest) as f64,
    }
}
// ANCHOR_END: pointing_game

/// On two-object canvases: how often each class's Grad-CAM lands on its own object.
#[derive(Clone, Debug)]
pub struct TwoObjects {
    /// Share of (canvas, class) maps whose maximum hits that class's box.
    pub own_rate: f64,
    /// Share whose maximum hits the other object's box.
    pub other_rate: f64,
    /// Share of canvases where both classes' maps hit their own boxes.
    pub both_rate: f64,
}

/// Grad-CAM for both classes of every two-object canvas.
pub fn two_objects(model: &Model<CLASSES>, scenes: &[Scene]) -> TwoObjects {
    let (mut own, mut other, mut both) = (0, 0, 0);
    for scene in scenes {
        let images = vec![scene.pixels.clone(); 2];
        let classes: Vec<usize> =
            scene.objects.iter().map(|o| o.class).collect();
        let maps = grad_cam(model, &images, &classes, SIDE);
        let mut hits_own = 0;
        for (i, map) in maps.iter().enumerate() {
            let peak = argmax(map, CELLS);
            let on_own = hits(&scene.objects[i].bbox, peak, CELL);
            hits_own += usize::from(on_own);
            other += usize::from(hits(&scene.objects[1 - i].bbox, peak, CELL));
        }
        own += hits_own;
        both += usize::from(hits_own == 2);
    }
    let n = scenes.len() as f64;
    TwoObjects {
        own_rate: own as f64 / (2.0 * n),
        other_rate: other as f64 / (2.0 * n),
        both_rate: both as f64 / n,
    }
}

/// The share of a map's total inside the box (`map` non-negative).
pub fn mass_inside(map: &[f32], bbox: &shapes::BoundingBox) -> f64 {
    let total: f64 = map.iter().map(|&v| v as f64).sum();
    let inside: f64 = (0..map.len())
        .filter(|&i| bbox.contains(i / SIDE, i % SIDE))
        .map(|i| map[i] as f64)
        .sum();
    inside / total
}

/// Saliency mass inside the box against the box's area share, averaged.
#[derive(Clone, Debug)]
pub struct BoxMass {
    pub gradient: f64,
    pub integrated: f64,
    pub area_share: f64,
}

/// Steps of the integrated gradients the chapter's maps use.
pub const IG_STEPS: usize = 64;

/// Mean share of `|∂y_c/∂x|` and of `|IG|` inside the object's box.
pub fn box_mass(model: &Model<CLASSES>, scenes: &[Scene]) -> BoxMass {
    let (mut gradient, mut integrated, mut area) = (0.0, 0.0, 0.0);
    let zeros = vec![0.0; shapes::PIXELS];
    for scene in scenes {
        let object = scene.objects[0];
        let saliency =
            vanilla_gradient(model, &scene.pixels, object.class, SIDE);
        gradient += mass_inside(&saliency, &object.bbox);
        let ig = integrated_gradients(
            model,
            &scene.pixels,
            &zeros,
            object.class,
            (SIDE, IG_STEPS),
        );
        let ig_abs: Vec<f32> =
            ig.attributions.iter().map(|a| a.abs()).collect();
        integrated += mass_inside(&ig_abs, &object.bbox);
        area += object.bbox.area_share();
    }
    let n = scenes.len() as f64;
    BoxMass {
        gradient: gradient / n,
        integrated: integrated / n,
        area_share: area / n,
    }
}

/// Step counts of the completeness experiment.
pub const COMPLETENESS_STEPS: [usize; 7] = [1, 2, 4, 8, 16, 64, 256];

/// For each of [`COMPLETENESS_STEPS`]: the completeness gap of integrated
/// gradients (zero baseline) pooled over `scenes`,
/// `Σ_scenes |Σ_i IG_i − Δy_c| / Σ_scenes |Δy_c|`.
pub fn completeness(
    model: &Model<CLASSES>,
    scenes: &[Scene],
) -> Vec<(usize, f64)> {
    let zeros = vec![0.0; shapes::PIXELS];
    let gap = |steps: usize| {
        let (mut gaps, mut differences) = (0.0, 0.0);
        for scene in scenes {
            let class = scene.objects[0].class;
            let ig = integrated_gradients(
                model,
                &scene.pixels,
                &zeros,
                class,
                (SIDE, steps),
            );
            gaps += (ig.total - ig.difference).abs();
            differences += ig.difference.abs();
        }
        gaps / differences
    };
    COMPLETENESS_STEPS.iter().map(|&m| (m, gap(m))).collect()
}

/// Mean Spearman correlation with the trained model's maps, after each stage of the cascade.
#[derive(Clone, Debug)]
pub struct Randomization {
    /// Per stage (0 = trained, then one more layer re-initialized each), per method.
    pub gradient: Vec<f64>,
    pub guided: Vec<f64>,
    pub grad_cam: Vec<f64>,
}

/// The three maps the cascade compares, for every scene's true class:
/// `|∂y_c/∂x|`, `|guided backprop|` and Grad-CAM.
pub fn sanity_maps(
    model: &Model<CLASSES>,
    scenes: &[Scene],
) -> [Vec<Vec<f32>>; 3] {
    let images = pixels(scenes);
    let classes: Vec<usize> =
        scenes.iter().map(|s| s.objects[0].class).collect();
    let abs = |maps: Vec<Vec<f32>>| -> Vec<Vec<f32>> {
        maps.into_iter()
            .map(|m| m.into_iter().map(f32::abs).collect())
            .collect()
    };
    [
        abs(class_gradients(
            model,
            &images,
            &classes,
            SIDE,
            Rectifier::Plain,
        )),
        abs(class_gradients(
            model,
            &images,
            &classes,
            SIDE,
            Rectifier::Guided,
        )),
        grad_cam(model, &images, &classes, SIDE),
    ]
}

/// Runs the cascade and returns the correlations and every stage's maps.
pub fn randomization(
    model: &Model<CLASSES>,
    scenes: &[Scene],
) -> (Randomization, Vec<[Vec<Vec<f32>>; 3]>) {
    let stages: Vec<_> = cascade(model)
        .iter()
        .map(|m| sanity_maps(m, scenes))
        .collect();
    let mean_rho = |method: usize, stage: usize| {
        let pairs = stages[0][method].iter().zip(&stages[stage][method]);
        pairs.map(|(a, b)| spearman(a, b)).sum::<f64>() / scenes.len() as f64
    };
    let curve =
        |method| (0..=LAYERS.len()).map(|s| mean_rho(method, s)).collect();
    let correlations = Randomization {
        gradient: curve(0),
        guided: curve(1),
        grad_cam: curve(2),
    };
    (correlations, stages)
}

/// Trains the digit classifier on the shipped MNIST training images and
/// returns it with its test images and held-out accuracy.
pub fn train_digits(budget: Budget) -> Result<(Digits, mnist::Labelled, f64)> {
    let data = mnist::load(&mnist::default_dir())
        .context("loading MNIST for the occlusion maps")?;
    let train_set = data.train;
    let model = train::<DigitNet, 10>(budget, mnist::SIDE, "digits", |rng| {
        let i = rng.gen_range(0..train_set.len());
        (train_set.images[i].to_vec(), train_set.labels[i])
    });
    let images: Vec<Vec<f32>> =
        data.test.images.iter().map(|i| i.to_vec()).collect();
    let predicted = predictions(&logits_of(&model, &images, mnist::SIDE));
    let acc = accuracy(&predicted, &data.test.labels);
    Ok((model, data.test, acc))
}
