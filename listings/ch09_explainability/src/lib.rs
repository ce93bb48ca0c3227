//! Chapter 9 of *Deep Understanding of Deep Learning*: explainability.
//!
//! Canvases with a known answer ([`shapes`]), a small CNN with a global-average-pooling head
//! ([`model`]), gradient explanations and occlusion ([`saliency`]), CAM and Grad-CAM with the
//! pointing game ([`cam`]), guided backpropagation's rectifier ([`guided`]) and the
//! model-randomization sanity check ([`sanity`]); [`experiments`] measures what the text
//! claims.

pub mod cam;
pub mod exercises;
pub mod experiments;
pub mod figures;
pub mod guided;
pub mod model;
pub mod saliency;
pub mod sanity;
pub mod shapes;

use anyhow::Result;
use dudl::cli::Args;
use dudl::figure::Colormap;
use dudl::numbers::Numbers;
use experiments::*;
use model::Model;
use shapes::{Scene, CLASSES, SIDE};
use std::time::Instant;

/// The figures `cargo run --release -p ch09_explainability` writes into `images/ch09/`.
pub const FIGURES: &[&str] = &[
    "methods.svg",
    "two_objects.svg",
    "cascade.svg",
    "cascade_correlation.svg",
    "completeness.svg",
    "occlusion_digits.svg",
];

/// SmoothGrad's settings in the figures: samples, and noise as a share of the
/// image's value range (Smilkov et al. suggest 10–20%).
pub const SMOOTHGRAD: (usize, f32) = (32, 0.15);
/// Occlusion's patch side, stride and fill value on the digits.
pub const OCCLUSION: (usize, usize, f32) = (6, 2, 0.0);
/// Canvases whose completeness gap is measured.
pub const COMPLETENESS_IMAGES: usize = 20;
/// Digits in the occlusion figure.
pub const OCCLUDED_DIGITS: usize = 6;

/// Everything a run measures.
#[derive(Debug)]
pub struct Chapter {
    pub plan: Plan,
    pub model: Model<CLASSES>,
    pub test: Vec<Scene>,
    pub accuracy: f64,
    pub pointing: Pointing,
    pub two_objects: TwoObjects,
    pub box_mass: BoxMass,
    pub completeness: Vec<(usize, f64)>,
    pub randomization: Randomization,
    /// Mean Spearman ρ of `|gradient|` and `|guided|` with `|x|`: trained, fully random.
    pub input_likeness: [[f64; 2]; 2],
    pub digit_accuracy: f64,
}

/// The first test canvas of each class, in class order.
fn one_per_class(test: &[Scene]) -> Vec<&Scene> {
    (0..CLASSES)
        .filter_map(|c| test.iter().find(|s| s.objects[0].class == c))
        .collect()
}

/// Mean Spearman ρ between each map and `|x|` of its canvas.
fn likeness_to_input(maps: &[Vec<f32>], scenes: &[Scene]) -> f64 {
    let rho = maps.iter().zip(scenes).map(|(map, scene)| {
        let magnitude: Vec<f32> =
            scene.pixels.iter().map(|v| v.abs()).collect();
        sanity::spearman(map, &magnitude)
    });
    rho.sum::<f64>() / scenes.len() as f64
}

/// Row of the methods figure: the canvas, then its gradient, SmoothGrad,
/// |integrated gradients| and Grad-CAM for the true class.
fn methods_row(
    model: &Model<CLASSES>,
    scene: &Scene,
    seed: u64,
) -> Vec<Vec<f32>> {
    let (x, class) = (&scene.pixels, scene.objects[0].class);
    let range = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max)
        - x.iter().cloned().fold(f32::INFINITY, f32::min);
    let noise = (SMOOTHGRAD.0, SMOOTHGRAD.1 * range, seed);
    let zeros = vec![0.0; shapes::PIXELS];
    let ig = saliency::integrated_gradients(
        model,
        x,
        &zeros,
        class,
        (SIDE, IG_STEPS),
    );
    let ig: Vec<f32> = ig.attributions.iter().map(|a| a.abs()).collect();
    let grad_cam =
        cam::grad_cam(model, std::slice::from_ref(x), &[class], SIDE);
    vec![
        figures::by_range(x),
        figures::by_max(&saliency::vanilla_gradient(model, x, class, SIDE)),
        figures::by_max(&saliency::smoothgrad(model, x, class, SIDE, noise)),
        figures::by_max(&ig),
        figures::by_max(&figures::upsample(&grad_cam[0])),
    ]
}

/// Trains both classifiers (on the quick budget with `--quick`), measures every claim and
/// writes [`FIGURES`] into `args.out_dir`.
pub fn write_chapter(args: &Args) -> Result<Chapter> {
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let model = train_shapes(plan.shapes);
    let test = shapes::single_shapes(TEST_SEED, plan.test_images);
    let truth: Vec<usize> = test.iter().map(|s| s.objects[0].class).collect();
    let logits = model::logits_of(&model, &pixels(&test), SIDE);
    let accuracy = accuracy(&model::predictions(&logits), &truth);

    let examples = one_per_class(&test);
    let rows: Vec<_> = (0..)
        .zip(&examples)
        .map(|(i, s)| methods_row(&model, s, i))
        .collect();
    let labels = figures::Labels {
        columns: &["canvas", "gradient", "SmoothGrad", "|IG|", "Grad-CAM"],
        rows: &shapes::NAMES.map(String::from),
    };
    figures::labelled_grid(
        &args.figure(FIGURES[0]),
        &rows,
        SIDE,
        Colormap::Gray,
        &labels,
    )?;

    let pairs = shapes::shape_pairs(PAIRS_SEED, plan.pairs);
    let two = two_objects(&model, &pairs);
    let pair_rows: Vec<Vec<Vec<f32>>> = pairs[..4]
        .iter()
        .map(|scene| {
            let classes: Vec<usize> =
                scene.objects.iter().map(|o| o.class).collect();
            let images = vec![scene.pixels.clone(); 2];
            let maps = cam::grad_cam(&model, &images, &classes, SIDE);
            let mut row = vec![figures::by_range(&scene.pixels)];
            row.extend(
                maps.iter().map(|m| figures::by_max(&figures::upsample(m))),
            );
            row
        })
        .collect();
    let pair_names: Vec<String> = pairs[..4]
        .iter()
        .map(|s| {
            let [a, b] = [s.objects[0].class, s.objects[1].class];
            format!("{}, {}", shapes::NAMES[a], shapes::NAMES[b])
        })
        .collect();
    let labels = figures::Labels {
        columns: &["canvas", "first class", "second class"],
        rows: &pair_names,
    };
    figures::labelled_grid(
        &args.figure(FIGURES[1]),
        &pair_rows,
        SIDE,
        Colormap::Gray,
        &labels,
    )?;

    let explained = &test[..plan.explained];
    let (randomization, stages) = experiments::randomization(&model, explained);
    let example = 0;
    let cascade_rows: Vec<Vec<Vec<f32>>> = (0..3)
        .map(|method| {
            let mut row = vec![figures::by_range(&explained[example].pixels)];
            for stage in &stages {
                let map = &stage[method][example];
                let map = if method == 2 {
                    figures::upsample(map)
                } else {
                    map.clone()
                };
                row.push(figures::by_max(&map));
            }
            row
        })
        .collect();
    let labels = figures::Labels {
        columns: &[
            "canvas", "trained", "linear", "+ conv3", "+ conv2", "+ conv1",
        ],
        rows: &["gradient", "guided backprop", "Grad-CAM"].map(String::from),
    };
    figures::labelled_grid(
        &args.figure(FIGURES[2]),
        &cascade_rows,
        SIDE,
        Colormap::Gray,
        &labels,
    )?;
    figures::cascade_correlation(&args.figure(FIGURES[3]), &randomization)?;
    let last = stages.len() - 1;
    let input_likeness = [0, 1].map(|method| {
        [0, last]
            .map(|stage| likeness_to_input(&stages[stage][method], explained))
    });

    let completeness = completeness(&model, &test[..COMPLETENESS_IMAGES]);
    figures::completeness(&args.figure(FIGURES[4]), &completeness)?;

    let (digits, digit_test, digit_accuracy) = train_digits(plan.digits)?;
    let digit_rows: Vec<Vec<Vec<f32>>> = (0..OCCLUDED_DIGITS / 2)
        .map(|row| {
            (2 * row..2 * row + 2)
                .flat_map(|i| {
                    let image = digit_test.images[i].to_vec();
                    let label = digit_test.labels[i];
                    let side = dudl::data::mnist::SIDE;
                    let drop = saliency::occlusion(
                        &digits, &image, label, side, OCCLUSION,
                    );
                    let scale = drop.iter().fold(0f32, |m, v| m.max(v.abs()));
                    [image, drop.iter().map(|v| v / scale.max(1e-6)).collect()]
                })
                .collect()
        })
        .collect();
    let labels = figures::Labels {
        columns: &["digit", "occlusion", "digit", "occlusion"],
        rows: &[],
    };
    figures::labelled_grid(
        &args.figure(FIGURES[5]),
        &digit_rows,
        dudl::data::mnist::SIDE,
        Colormap::Diverging,
        &labels,
    )?;

    Ok(Chapter {
        plan,
        box_mass: box_mass(&model, explained),
        pointing: pointing_game(&model, &test),
        two_objects: two,
        model,
        test,
        accuracy,
        completeness,
        randomization,
        input_likeness,
        digit_accuracy,
    })
}

/// The numbers the text quotes, from a run.
pub fn numbers(chapter: &Chapter) -> Numbers {
    let mut n = Numbers::new();
    let plan = &chapter.plan;
    n.count("shape_steps", plan.shapes.steps);
    n.count("shape_images_seen", plan.shapes.steps * model::BATCH);
    n.count("test_images", plan.test_images);
    n.count("explained", plan.explained);
    n.count("pairs", plan.pairs);
    n.count("digit_steps", plan.digits.steps);
    n.percent("shape_accuracy", chapter.accuracy, 1);
    n.percent("digit_accuracy", chapter.digit_accuracy, 1);
    n.percent("pointing_hit", chapter.pointing.hit_rate, 1);
    n.percent("pointing_chance", chapter.pointing.chance_rate, 1);
    n.scientific("identity_error", chapter.pointing.identity_error, 1);
    n.percent("two_own", chapter.two_objects.own_rate, 1);
    n.percent("two_other", chapter.two_objects.other_rate, 1);
    n.percent("two_both", chapter.two_objects.both_rate, 1);
    n.percent("mass_gradient", chapter.box_mass.gradient, 1);
    n.percent("mass_ig", chapter.box_mass.integrated, 1);
    n.percent("area_share", chapter.box_mass.area_share, 1);
    for &(steps, gap) in &chapter.completeness {
        n.percent(&format!("ig_gap_{steps}"), gap, 2);
    }
    let r = &chapter.randomization;
    for (name, curve) in [
        ("grad", &r.gradient),
        ("guided", &r.guided),
        ("gradcam", &r.grad_cam),
    ] {
        for (stage, rho) in curve.iter().enumerate() {
            n.fixed(&format!("rho_{name}_{stage}"), *rho, 2);
        }
    }
    let [gradient, guided] = chapter.input_likeness;
    n.fixed("input_rho_grad_trained", gradient[0], 2);
    n.fixed("input_rho_grad_random", gradient[1], 2);
    n.fixed("input_rho_guided_trained", guided[0], 2);
    n.fixed("input_rho_guided_random", guided[1], 2);
    n
}

/// The chapter binary: trains, writes the figures and the numbers the text quotes.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let chapter = write_chapter(args)?;
    let numbers = numbers(&chapter);
    numbers.write(&args.out_dir)?;
    numbers.print();
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
