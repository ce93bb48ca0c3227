//! The appendix "How fast is this?" (`book/appendix_speed.md`) shows the recorded table through
//! the numbers mechanism, but its prose groups the chapters and states the book's budgets.
//! These tests hold the recorded table (`images/speed/numbers.json`) to that prose, so that a
//! new record that contradicts a sentence fails here until the sentence changes with it.

use std::path::Path;

use serde_json::Value;

fn recorded() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/speed/numbers.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it: cargo run --release -p bench -- chapters --record)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("numbers.json is JSON")
}

fn value(numbers: &Value, key: &str) -> f64 {
    numbers[key]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("numbers.json has no number {key}"))
}

#[test]
fn small_networks_train_several_times_faster_than_pytorch() {
    // "Small networks: Rust is several times faster": at most a third of PyTorch's time.
    let numbers = recorded();
    for chapter in ["ch01", "ch02", "ch04", "ch10"] {
        let ratio = value(&numbers, &format!("{chapter}_ratio"));
        assert!(ratio <= 1.0 / 3.0, "{chapter}: ratio {ratio}");
    }
}

#[test]
fn larger_networks_take_less_time_than_pytorch() {
    // "The steps of Chapters 3, 5, 6, 7, 8 and 9 take less time than PyTorch's."
    let numbers = recorded();
    for chapter in ["ch03", "ch05", "ch06", "ch07", "ch08", "ch09"] {
        let ratio = value(&numbers, &format!("{chapter}_ratio"));
        assert!(ratio < 1.0, "{chapter}: ratio {ratio}");
    }
}

#[test]
fn the_recorded_runs_keep_the_books_budgets() {
    // "60 s a chapter and 10 minutes for all of them"; warm tests within 5 minutes.
    let numbers = recorded();
    for n in 1..=10 {
        let seconds = value(&numbers, &format!("ch{n:02}_full_run"));
        assert!(seconds <= 60.0, "chapter {n}: full run {seconds} s");
    }
    let total = value(&numbers, "full_run_total");
    assert!(total <= 600.0, "all chapters: {total} s");
    let tests = value(&numbers, "tests_warm");
    assert!(tests <= 300.0, "warm cargo test --workspace: {tests} s");
}
