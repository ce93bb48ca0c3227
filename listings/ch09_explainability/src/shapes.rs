//! Images with a known answer: one small shape (or two) on a noisy canvas with distractor
//! strokes, each shape's bounding box recorded, all drawn from a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Side of the square canvas in pixels.
pub const SIDE: usize = 32;
/// Pixels per canvas.
pub const PIXELS: usize = SIDE * SIDE;
/// Number of shape classes.
pub const CLASSES: usize = 4;
/// The classes' names, in label order.
pub const NAMES: [&str; CLASSES] = ["square", "cross", "ring", "triangle"];

// ANCHOR: scene
/// A shape's bounding box: columns `x0..x0 + size`, rows `y0..y0 + size`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundingBox {
    pub x0: usize,
    pub y0: usize,
    pub size: usize,
}

impl BoundingBox {
    /// True when pixel `(row, col)` lies inside the box.
    pub fn contains(&self, row: usize, col: usize) -> bool {
        (self.y0..self.y0 + self.size).contains(&row)
            && (self.x0..self.x0 + self.size).contains(&col)
    }

    /// The box's share of the canvas: `size² / SIDE²`.
    pub fn area_share(&self) -> f64 {
        (self.size * self.size) as f64 / PIXELS as f64
    }
}

/// One object on a canvas: its class and where it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Object {
    pub class: usize,
    pub bbox: BoundingBox,
}

/// A `SIDE × SIDE` canvas (row-major) and the objects drawn on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub pixels: Vec<f32>,
    pub objects: Vec<Object>,
}
// ANCHOR_END: scene

/// Standard deviation of the background noise.
pub const NOISE: f32 = 0.15;
/// Distractor strokes per canvas.
pub const DISTRACTORS: usize = 3;
/// Smallest and largest shape side, in pixels.
pub const SIZES: (usize, usize) = (7, 10);

/// Paints a one-pixel-wide segment from `(r0, c0)` to `(r1, c1)` (fractional pixels).
fn stroke(
    pixels: &mut [f32],
    (r0, c0): (f32, f32),
    (r1, c1): (f32, f32),
    ink: f32,
) {
    let steps = (r1 - r0).abs().max((c1 - c0).abs()).ceil().max(1.0) as usize;
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (r, c) = (r0 + t * (r1 - r0), c0 + t * (c1 - c0));
        let (r, c) = (r.round(), c.round());
        if (0.0..SIDE as f32).contains(&r) && (0.0..SIDE as f32).contains(&c) {
            let p = &mut pixels[r as usize * SIDE + c as usize];
            *p = p.max(ink);
        }
    }
}

// ANCHOR: draw
/// Draws shape `class` with ink 1 inside `bbox`: 0 a square outline, 1 a
/// plus-shaped cross, 2 a ring, 3 a triangle outline.
pub fn draw_shape(pixels: &mut [f32], class: usize, bbox: BoundingBox) {
    let (top, left) = (bbox.y0 as f32, bbox.x0 as f32);
    let last = (bbox.size - 1) as f32;
    let (bottom, right) = (top + last, left + last);
    let mid = (top + last / 2.0, left + last / 2.0);
    let mut line = |a, b| stroke(pixels, a, b, 1.0);
    match class {
        0 => {
            line((top, left), (top, right));
            line((bottom, left), (bottom, right));
            line((top, left), (bottom, left));
            line((top, right), (bottom, right));
        }
        1 => {
            line((mid.0, left), (mid.0, right));
            line((top, mid.1), (bottom, mid.1));
        }
        2 => {
            let radius = last / 2.0;
            for k in 0..64 {
                let angle = k as f32 / 64.0 * std::f32::consts::TAU;
                let at = (
                    mid.0 + radius * angle.sin(),
                    mid.1 + radius * angle.cos(),
                );
                line(at, at);
            }
        }
        _ => {
            line((bottom, left), (bottom, right));
            line((bottom, left), (top, mid.1));
            line((bottom, right), (top, mid.1));
        }
    }
}
// ANCHOR_END: draw

/// A box of random size at a random place, kept `gap` pixels away from
/// every box in `taken`.
fn free_box(
    rng: &mut StdRng,
    taken: &[BoundingBox],
    gap: usize,
) -> BoundingBox {
    loop {
        let size = rng.gen_range(SIZES.0..=SIZES.1);
        let bbox = BoundingBox {
            x0: rng.gen_range(1..SIDE - size),
            y0: rng.gen_range(1..SIDE - size),
            size,
        };
        let apart = |o: &BoundingBox| {
            bbox.x0 >= o.x0 + o.size + gap
                || o.x0 >= bbox.x0 + bbox.size + gap
                || bbox.y0 >= o.y0 + o.size + gap
                || o.y0 >= bbox.y0 + bbox.size + gap
        };
        if taken.iter().all(apart) {
            return bbox;
        }
    }
}

// ANCHOR: scene_gen
/// A canvas of Gaussian noise with [`DISTRACTORS`] straight strokes and one
/// shape per class in `classes`; strokes stay one pixel clear of every box.
pub fn scene(rng: &mut StdRng, classes: &[usize]) -> Scene {
    let noise = Normal::new(0.0, NOISE).expect("the noise level is positive");
    let mut pixels: Vec<f32> = (0..PIXELS).map(|_| noise.sample(rng)).collect();
    let mut boxes: Vec<BoundingBox> = Vec::new();
    for _ in classes {
        let bbox = free_box(rng, &boxes, 2);
        boxes.push(bbox);
    }
    let mut strokes = 0;
    while strokes < DISTRACTORS {
        let mut ink = vec![0.0; PIXELS];
        let start = (
            rng.gen_range(0.0..SIDE as f32),
            rng.gen_range(0.0..SIDE as f32),
        );
        let (length, angle) =
            (rng.gen_range(5.0..9.0), rng.gen_range(0.0..6.3));
        let end = (
            start.0 + length * f32::sin(angle),
            start.1 + length * f32::cos(angle),
        );
        stroke(&mut ink, start, end, rng.gen_range(0.6..1.0));
        let grown = |b: &BoundingBox| BoundingBox {
            x0: b.x0.saturating_sub(1),
            y0: b.y0.saturating_sub(1),
            size: b.size + 2,
        };
        let clear = (0..PIXELS).all(|i| {
            ink[i] == 0.0
                || boxes.iter().all(|b| !grown(b).contains(i / SIDE, i % SIDE))
        });
        if clear {
            pixels
                .iter_mut()
                .zip(&ink)
                .for_each(|(p, &k)| *p = p.max(k));
            strokes += 1;
        }
    }
    let objects = classes
        .iter()
        .zip(&boxes)
        .map(|(&class, &bbox)| {
            draw_shape(&mut pixels, class, bbox);
            Object { class, bbox }
        })
        .collect();
    Scene { pixels, objects }
}
// ANCHOR_END: scene_gen

/// `n` single-shape scenes, classes drawn uniformly, from `seed`.
pub fn single_shapes(seed: u64, n: usize) -> Vec<Scene> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let class = rng.gen_range(0..CLASSES);
            scene(&mut rng, &[class])
        })
        .collect()
}

/// `n` scenes with two shapes of two different classes, from `seed`.
pub fn shape_pairs(seed: u64, n: usize) -> Vec<Scene> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let first = rng.gen_range(0..CLASSES);
            let second = (first + rng.gen_range(1..CLASSES)) % CLASSES;
            scene(&mut rng, &[first, second])
        })
        .collect()
}
