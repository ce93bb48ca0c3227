//! The listings contract holds for this repository, and each of its rules catches what it
//! should on a small fixture repository under `tests/fixtures/`.

use std::path::{Path, PathBuf};

use booktools::contract::{check, Rule, Violation};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

fn listing(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  {v}\n"))
        .collect::<String>()
}

/// Checks `fixture` and asserts that exactly `expected` (file, line, rule) fire.
fn assert_violations(fixture_name: &str, expected: &[(&str, usize, Rule)]) {
    let violations = check(&fixture(fixture_name));
    let found: Vec<(PathBuf, usize, Rule)> = violations
        .iter()
        .map(|v| (v.file.clone(), v.line, v.rule))
        .collect();
    let mut wanted: Vec<(PathBuf, usize, Rule)> = expected
        .iter()
        .map(|(file, line, rule)| (Path::new(file).to_path_buf(), *line, *rule))
        .collect();
    wanted.sort();
    assert_eq!(
        found,
        wanted,
        "fixture `{fixture_name}` reported:\n{}",
        listing(&violations)
    );
    for v in &violations {
        assert!(
            !v.message.is_empty() && v.to_string().contains(v.rule.name()),
            "a violation must say what is wrong: {v}"
        );
    }
}

#[test]
fn this_repository_keeps_the_listings_contract() {
    let root = manifest_dir().join("../..");
    let violations = check(&root);
    assert!(
        violations.is_empty(),
        "{} violation(s) of the listings contract:\n{}",
        violations.len(),
        listing(&violations)
    );
}

#[test]
fn clean_fixture_keeps_the_contract() {
    assert_violations("clean", &[]);
}

#[test]
fn inline_rust_block_is_rejected() {
    // Typed-in code is reported once per block; an include of a file outside `listings/` too.
    assert_violations(
        "inline_code",
        &[
            ("book/ch01_demo.md", 32, Rule::InlineCode),
            ("book/ch01_demo.md", 40, Rule::InlineCode),
        ],
    );
}

#[test]
fn missing_file_missing_anchor_and_line_range_includes_are_rejected() {
    assert_violations(
        "include",
        &[
            ("book/ch01_demo.md", 30, Rule::Include),
            ("book/ch01_demo.md", 34, Rule::Include),
            ("book/ch01_demo.md", 38, Rule::Include),
        ],
    );
}

#[test]
fn missing_remote_outside_or_undeclared_images_are_rejected() {
    assert_violations(
        "image",
        &[
            ("book/ch01_demo.md", 29, Rule::Image), // does not exist
            ("book/ch01_demo.md", 31, Rule::Image), // `../images`: leaves book/
            ("book/ch01_demo.md", 33, Rule::Image), // remote
            ("book/ch01_demo.md", 35, Rule::Image), // not under images/
            ("book/ch01_demo.md", 37, Rule::Image), // not in FIGURES ...
            ("images/ch01/undeclared.svg", 0, Rule::OrphanFigure), // ... hence an orphan too
        ],
    );
}

#[test]
fn figure_not_declared_in_figures_is_an_orphan() {
    assert_violations(
        "orphan_figure",
        &[
            ("images/ch01/stale.svg", 0, Rule::OrphanFigure),
            ("images/ch02/lonely.svg", 0, Rule::OrphanFigure), // no ch02 crate at all
        ],
    );
}

#[test]
fn chapter_without_crate_and_crate_without_chapter_are_rejected() {
    assert_violations(
        "chapter",
        &[
            ("book/SUMMARY.md", 6, Rule::Chapter),
            ("listings/ch03_nochapter/Cargo.toml", 0, Rule::Chapter),
        ],
    );
}

#[test]
fn unknown_numbers_citations_uncited_entries_and_wide_listings_are_rejected() {
    assert_violations(
        "directives",
        &[
            ("book/ch01_demo.md", 3, Rule::Number),   // no key `question`
            ("book/ch01_demo.md", 4, Rule::Number),   // no images/ch02/numbers.json
            ("book/ch01_demo.md", 4, Rule::Number),   // `{{#number answer}}`: no chapter
            ("book/ch01_demo.md", 6, Rule::Citation), // no entry `nobody2020`
            ("book/ch01_demo.md", 9, Rule::ListingWidth),
            ("book/references.md", 4, Rule::Citation), // cited by no page
            ("book/references.md", 5, Rule::Citation), // no link
        ],
    );
}
