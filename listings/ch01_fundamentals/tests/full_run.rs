//! Claims the text makes about the full run (`cargo run --release -p
//! ch01_fundamentals`), checked on its committed numbers; `scripts/reproduce.sh`
//! checks that those are the run's.

use dudl::numbers::Numbers;

#[test]
fn full_run_meets_the_quoted_thresholds() {
    let numbers = Numbers::committed("ch01").unwrap();
    let value = |key: &str| numbers.value(key).unwrap();
    assert!(value("scratch_accuracy") >= 0.97);
    assert!(value("dfdx_accuracy") >= 0.97);
    assert!(value("exercise_relu_accuracy") >= 0.96);
    assert!(
        value("scratch_final_loss") < 0.02 && value("dfdx_final_loss") < 0.02
    );
    assert!(value("sigmoid_shrink") > 1e5);
    assert!((0.5..2.0).contains(&value("relu_shrink")));
    assert!(value("check_scratch_vs_numerical") < 1e-8);
    assert!(value("check_dfdx_vs_scratch") < 1e-6);
    assert!(value("check_matrix_vs_scratch") < 1e-12);
}
