//! Compares a chapter's rerun with its committed outputs: every number by key, every figure
//! byte for byte. Chapter binaries are seeded and deterministic on one machine, so any
//! difference means the code changed and the committed outputs (and the text quoting them)
//! are stale.

use crate::numbers::load_texts;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// Every difference between the committed outputs in `committed` and a rerun's in `rerun`,
/// each a line naming the key or file. Empty means the rerun reproduced them.
pub fn compare(committed: &Path, rerun: &Path) -> Result<Vec<String>> {
    let before = file_names(committed)?;
    let after = file_names(rerun)?;
    let mut differences = Vec::new();
    for name in before.difference(&after) {
        differences.push(format!("{name}: committed, but the rerun did not write it"));
    }
    for name in after.difference(&before) {
        differences.push(format!("{name}: written by the rerun, but not committed"));
    }
    for name in before.intersection(&after) {
        let (a, b) = (committed.join(name), rerun.join(name));
        if name == "numbers.json" {
            differences.extend(compare_numbers(&a, &b)?);
        } else {
            let (x, y) = (read(&a)?, read(&b)?);
            if x != y {
                let at = x.iter().zip(&y).position(|(p, q)| p != q);
                let at = at.unwrap_or(x.len().min(y.len()));
                differences.push(format!(
                    "{name}: the rerun's figure differs from the committed one (from byte {at})"
                ));
            }
        }
    }
    Ok(differences)
}

/// Differences between two numbers files, key by key, on the text the book shows.
fn compare_numbers(committed: &Path, rerun: &Path) -> Result<Vec<String>> {
    let (before, after) = (load_texts(committed)?, load_texts(rerun)?);
    let mut differences = Vec::new();
    for (key, text) in &before {
        match after.get(key) {
            None => differences.push(format!("numbers.json: `{key}` is no longer recorded")),
            Some(new) if new != text => differences.push(format!(
                "numbers.json: `{key}` is {new} in the rerun, {text} committed"
            )),
            Some(_) => {}
        }
    }
    for key in after.keys().filter(|k| !before.contains_key(*k)) {
        differences.push(format!("numbers.json: `{key}` is new in the rerun"));
    }
    Ok(differences)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Names of the visible files in `dir` (not in subdirectories).
fn file_names(dir: &Path) -> Result<BTreeSet<String>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut names = BTreeSet::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.starts_with('.') {
            names.insert(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("booktools-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_changed_number_and_a_changed_figure_are_named() {
        let numbers = |acc: &str| {
            format!(
                r#"{{"acc": {{"text": "{acc}", "value": 0.9}}, "n": {{"text": "3", "value": 3}}}}"#
            )
        };
        let (n1, n2) = (numbers("98.0%"), numbers("97.5%"));
        let committed = dir(
            "a",
            &[("numbers.json", &n1), ("x.svg", "<svg/>"), ("y.svg", "1")],
        );
        let rerun = dir(
            "b",
            &[("numbers.json", &n2), ("x.svg", "<svg />"), ("z.svg", "1")],
        );
        let differences = compare(&committed, &rerun).unwrap();
        assert_eq!(differences.len(), 4, "{differences:#?}");
        assert!(differences.iter().any(|d| d.contains("y.svg: committed")));
        assert!(differences.iter().any(|d| d.contains("z.svg: written")));
        assert!(differences
            .iter()
            .any(|d| d.contains("`acc` is 97.5% in the rerun, 98.0% committed")));
        assert!(differences
            .iter()
            .any(|d| d.contains("x.svg") && d.contains("byte 4")));
        assert!(compare(&committed, &committed).unwrap().is_empty());
        for d in [committed, rerun] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}
