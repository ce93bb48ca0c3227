//! Claims about the Dirac-GAN.

use ch07_gans::dirac::{distance, simultaneous, GAMMA, START, STEP, STEPS};
use ch07_gans::game::sigmoid;

#[test]
fn plain_simultaneous_steps_move_away_from_the_equilibrium_every_step() {
    let path = simultaneous(START, STEP, 0.0, STEPS);
    for pair in path.windows(2) {
        let (before, after) = (distance(pair[0]), distance(pair[1]));
        assert!(after > before, "{after} ≤ {before}");
        // ‖p'‖² = (1 + h² f'(θψ)²) ‖p‖², exactly.
        let slope = sigmoid(-pair[0].0 * pair[0].1);
        let expected = before * before * (1.0 + STEP * STEP * slope * slope);
        assert!((after * after / expected - 1.0).abs() < 1e-12);
    }
    assert!(distance(path[STEPS]) > 1.5 * distance(START));
}

#[test]
fn with_r1_simultaneous_steps_converge_below_1e_3() {
    let path = simultaneous(START, STEP, GAMMA, STEPS);
    let end = distance(path[STEPS]);
    assert!(end < 1e-3, "distance {end}");
}
