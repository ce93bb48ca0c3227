//! k-nearest-neighbour classification of codes: how well a code keeps the
//! digit's identity.

use dudl::data::mnist::CLASSES;

// ANCHOR: knn
/// Accuracy on `(test, test_labels)` of the majority vote among the `k`
/// training codes nearest in Euclidean distance (ties go to the class whose
/// nearest voter is closest).
pub fn knn_accuracy<const L: usize>(
    train: &[[f32; L]],
    train_labels: &[usize],
    test: &[[f32; L]],
    test_labels: &[usize],
    k: usize,
) -> f64 {
    let distance = |a: &[f32; L], b: &[f32; L]| -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
    };
    let correct = test
        .iter()
        .zip(test_labels)
        .filter(|&(query, &label)| {
            let mut nearest: Vec<(f32, usize)> = train
                .iter()
                .zip(train_labels)
                .map(|(code, &c)| (distance(query, code), c))
                .collect();
            nearest.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
            nearest.truncate(k);
            nearest.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut votes = [0usize; CLASSES];
            nearest.iter().for_each(|&(_, c)| votes[c] += 1);
            let most = *votes.iter().max().expect("ten classes");
            // the first voter (nearest) whose class has the most votes
            let winner = nearest.iter().find(|&&(_, c)| votes[c] == most);
            winner.map(|&(_, c)| c) == Some(label)
        })
        .count();
    correct as f64 / test.len() as f64
}
// ANCHOR_END: knn
