//! Class activation maps: CAM from the linear head's weights, Grad-CAM from the gradient
//! with respect to the last feature maps, and the pointing game that scores them.

use crate::model::{
    features, head, in_chunks, one_hot, Model, Rectifier, CHUNK, MAPS,
};
use crate::shapes::BoundingBox;
use dfdx::prelude::*;

/// The feature maps `A^k` of each image, `MAPS` planes of `side/2 × side/2`.
pub fn feature_maps<const K: usize>(
    model: &Model<K>,
    images: &[Vec<f32>],
    side: usize,
) -> Vec<Vec<f32>> {
    in_chunks(images, side, |x, _| {
        let maps = features(model, x, Rectifier::Plain).as_vec();
        maps.chunks(maps.len() / CHUNK)
            .map(<[f32]>::to_vec)
            .collect()
    })
}

/// `Σ_k weight_k · A^k`: one plane from `MAPS` planes and `MAPS` weights.
pub fn weighted_sum(maps: &[f32], weights: &[f32]) -> Vec<f32> {
    let plane = maps.len() / MAPS;
    (0..plane)
        .map(|p| (0..MAPS).map(|k| weights[k] * maps[k * plane + p]).sum())
        .collect()
}

// ANCHOR: cam
/// CAM (Zhou et al.): `M_c = Σ_k w_ck A^k`, the linear head's weights for
/// class `c` applied at every position of the feature maps.
pub fn cam<const K: usize>(
    model: &Model<K>,
    images: &[Vec<f32>],
    classes: &[usize],
    side: usize,
) -> Vec<Vec<f32>> {
    let (_, linear) = &model.1;
    let weights = linear.weight.as_vec(); // (K, MAPS), row c is w_c
    let maps = feature_maps(model, images, side);
    maps.iter()
        .zip(classes)
        .map(|(a, &c)| weighted_sum(a, &weights[c * MAPS..(c + 1) * MAPS]))
        .collect()
}
// ANCHOR_END: cam

// ANCHOR: grad_cam
/// Grad-CAM (Selvaraju et al.): `α_k = mean_ij ∂y_c/∂A^k_ij`, then
/// `relu(Σ_k α_k A^k)`. The gradient comes from running the head on a
/// leaky-traced copy of the feature maps.
pub fn grad_cam<const K: usize>(
    model: &Model<K>,
    images: &[Vec<f32>],
    classes: &[usize],
    side: usize,
) -> Vec<Vec<f32>> {
    let mut done = 0;
    in_chunks(images, side, |x, n| {
        let a = features(model, x, Rectifier::Plain);
        let selected = one_hot::<CHUNK, K>(&classes[done..done + n]);
        done += n;
        let y_c = (head(model, a.leaky_trace()) * selected).sum();
        let grads = y_c.backward();
        let (d_a, a) = (grads.get(&a).as_vec(), a.as_vec());
        let per_image = a.len() / CHUNK;
        let plane = per_image / MAPS;
        let maps = a.chunks(per_image).zip(d_a.chunks(per_image));
        maps.map(|(a, d_a)| {
            let alpha: Vec<f32> = d_a
                .chunks(plane)
                .map(|g| g.iter().sum::<f32>() / plane as f32)
                .collect();
            let map = weighted_sum(a, &alpha);
            map.iter().map(|v| v.max(0.0)).collect()
        })
        .collect()
    })
}
// ANCHOR_END: grad_cam

// ANCHOR: pointing
/// The `(row, col)` of the largest value of a row-major map `cols` wide (the
/// first one, in row-major order, on a tie).
pub fn argmax(map: &[f32], cols: usize) -> (usize, usize) {
    let best = (0..map.len())
        .reduce(|b, i| if map[i] > map[b] { i } else { b })
        .expect("a map has at least one value");
    (best / cols, best % cols)
}

/// Whether cell `(row, col)` of a map, each cell covering `scale × scale`
/// pixels of the image, overlaps `bbox`: a hit in the pointing game.
pub fn hits(
    bbox: &BoundingBox,
    (row, col): (usize, usize),
    scale: usize,
) -> bool {
    let rows = row * scale..(row + 1) * scale;
    let cols = col * scale..(col + 1) * scale;
    rows.clone()
        .any(|r| cols.clone().any(|c| bbox.contains(r, c)))
}

/// The pointing game's chance rate for one box: the share of the
/// `cells × cells` map's cells that overlap it.
pub fn chance(bbox: &BoundingBox, cells: usize, scale: usize) -> f64 {
    let overlapping = (0..cells * cells)
        .filter(|&i| hits(bbox, (i / cells, i % cells), scale))
        .count();
    overlapping as f64 / (cells * cells) as f64
}
// ANCHOR_END: pointing
