//! The numbers a chapter's text quotes from its run.
//!
//! A chapter binary records each number it reports under a key, with its exact value and the
//! text the book shows (`"98.0%"`), and writes them all to `numbers.json` beside its figures.
//! The book quotes them as `{{#number ch01.moons_accuracy}}`: the book's preprocessor
//! (`listings/booktools`) replaces the key with the text, so a quoted number is always the
//! run's, and `scripts/reproduce.sh` reruns the binary and fails when a number moves.
//!
//! ```text
//! { "moons_accuracy": { "text": "98.0%", "value": 0.98 }, ... }
//! ```

use crate::figure::write_atomic;
use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name of a chapter's numbers, beside its figures in `images/chNN/`.
pub const FILE: &str = "numbers.json";

/// One quoted number: its exact value (for tests) and the text the book shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quoted {
    pub text: String,
    pub value: f64,
}

/// The numbers of one run, by key, in key order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Numbers {
    entries: BTreeMap<String, Quoted>,
}

/// Whether `key` is a valid key: lowercase ASCII letters, digits and `_`, starting with a letter.
pub fn is_valid_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Numbers {
    /// No numbers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `key` with its `value` and the `text` the book shows; returns the text.
    ///
    /// # Panics
    /// When `key` is not a valid key ([`is_valid_key`]) or was recorded before: both are
    /// mistakes in the chapter's code, not in its input.
    pub fn record(&mut self, key: &str, value: f64, text: impl Into<String>) -> String {
        assert!(
            is_valid_key(key),
            "number key `{key}`: use lowercase letters, digits and _"
        );
        let text = text.into();
        let quoted = Quoted {
            text: text.clone(),
            value,
        };
        let previous = self.entries.insert(key.to_string(), quoted);
        assert!(previous.is_none(), "number `{key}` is recorded twice");
        text
    }

    /// A fraction shown as a percentage: `percent("acc", 0.98, 1)` shows `98.0%`.
    pub fn percent(&mut self, key: &str, fraction: f64, decimals: usize) -> String {
        let text = format!("{:.*}%", decimals, 100.0 * fraction);
        self.record(key, fraction, typeset_minus(&text))
    }

    /// A value with a fixed number of decimals: `fixed("loss", 0.00937, 4)` shows `0.0094`,
    /// and negative values take a true minus sign, `−0.66`.
    pub fn fixed(&mut self, key: &str, value: f64, decimals: usize) -> String {
        self.record(key, value, typeset_minus(&format!("{value:.decimals$}")))
    }

    /// A count with thousands separators: `count("n", 1024)` shows `1,024`.
    pub fn count(&mut self, key: &str, n: usize) -> String {
        self.record(key, n as f64, group_thousands(n))
    }

    /// A value in scientific notation for prose: `scientific("r", 6.6e5, 1)` shows `6.6 × 10⁵`.
    pub fn scientific(&mut self, key: &str, value: f64, decimals: usize) -> String {
        self.record(key, value, scientific_text(value, decimals))
    }

    /// The number recorded under `key`.
    pub fn get(&self, key: &str) -> Result<&Quoted> {
        self.entries.get(key).with_context(|| {
            format!(
                "no number `{key}` (have: {})",
                self.keys().collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// The exact value recorded under `key`.
    pub fn value(&self, key: &str) -> Result<f64> {
        Ok(self.get(key)?.value)
    }

    /// The text the book shows for `key`.
    pub fn text(&self, key: &str) -> Result<&str> {
        Ok(&self.get(key)?.text)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Key–number pairs, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Quoted)> {
        self.entries.iter().map(|(k, q)| (k.as_str(), q))
    }

    /// How many numbers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no number was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the numbers to `dir/numbers.json`, atomically, as pretty JSON in key order.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(FILE);
        let mut json =
            serde_json::to_string_pretty(self).context("cannot serialise the numbers")?;
        json.push('\n');
        write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// Prints every number, `key  text`, one a line: what the text quotes from this run.
    pub fn print(&self) {
        let width = self.keys().map(str::len).max().unwrap_or(0);
        for (key, quoted) in self.iter() {
            println!("  {key:<width$}  {}", quoted.text);
        }
    }

    /// Reads a numbers file written by [`Numbers::write`].
    pub fn load(path: &Path) -> Result<Numbers> {
        let json = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the numbers file {}", path.display()))?;
        let numbers: Numbers = serde_json::from_str(&json).with_context(|| {
            format!(
                "{} is not a numbers file: rerun the chapter binary to rewrite it",
                path.display()
            )
        })?;
        if let Some(bad) = numbers.keys().find(|k| !is_valid_key(k)) {
            bail!("{}: invalid key `{bad}`", path.display());
        }
        Ok(numbers)
    }

    /// The committed numbers of the full run of `chapter` (`"ch01"`): `images/ch01/numbers.json`.
    /// Tests check the claims that rest on the full run against these; `scripts/reproduce.sh`
    /// checks that they are the run's.
    pub fn committed(chapter: &str) -> Result<Numbers> {
        let path = crate::cli::images_dir(chapter).join(FILE);
        ensure!(
            path.exists(),
            "{} is missing: run `cargo run --release -p {chapter}_…` to write it",
            path.display()
        );
        Self::load(&path)
    }
}

/// `1234567` → `"1,234,567"`.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A leading `-` as the minus sign `−` (U+2212), as typeset text and KaTeX show it.
pub fn typeset_minus(text: &str) -> String {
    match text.strip_prefix('-') {
        Some(magnitude) => format!("−{magnitude}"),
        None => text.to_string(),
    }
}

/// `6.6e5` → `"6.6 × 10⁵"`, `2.5e-3` → `"2.5 × 10⁻³"`, with `decimals` digits after the point.
pub fn scientific_text(value: f64, decimals: usize) -> String {
    let formatted = format!("{value:.decimals$e}");
    let (mantissa, exponent) = formatted
        .split_once('e')
        .expect("Rust's {:e} always has an exponent");
    let mantissa = typeset_minus(mantissa);
    if exponent == "0" {
        return mantissa;
    }
    let superscript: String = exponent
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        })
        .collect();
    format!("{mantissa} × 10{superscript}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_formatted_as_the_book_shows_them() {
        let mut numbers = Numbers::new();
        assert_eq!(numbers.percent("acc", 0.98, 1), "98.0%");
        assert_eq!(numbers.fixed("loss", 0.009_37, 4), "0.0094");
        assert_eq!(numbers.count("n", 1_024), "1,024");
        assert_eq!(numbers.count("small", 7), "7");
        assert_eq!(numbers.scientific("ratio", 6.6e5, 1), "6.6 × 10⁵");
        assert_eq!(numbers.scientific("tiny", 2.5e-3, 1), "2.5 × 10⁻³");
        assert_eq!(numbers.scientific("one", 3.0, 1), "3.0");
        assert_eq!(numbers.fixed("negative", -0.6636, 2), "−0.66");
        assert_eq!(
            numbers.scientific("negative_small", -2.5e-3, 1),
            "−2.5 × 10⁻³"
        );
        assert_eq!(numbers.value("acc").unwrap(), 0.98);
        assert!(numbers.get("nope").unwrap_err().to_string().contains("acc"));
    }

    #[test]
    fn a_written_file_loads_back_equal() {
        let mut numbers = Numbers::new();
        numbers.percent("b_second", 0.5, 0);
        numbers.fixed("a_first", 1.25, 2);
        let dir = std::env::temp_dir().join(format!("dudl-numbers-{}", std::process::id()));
        let path = numbers.write(&dir).unwrap();
        let json = std::fs::read_to_string(&path).unwrap();
        assert!(json.find("a_first").unwrap() < json.find("b_second").unwrap());
        assert_eq!(Numbers::load(&path).unwrap(), numbers);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[should_panic(expected = "recorded twice")]
    fn a_key_recorded_twice_is_a_mistake() {
        let mut numbers = Numbers::new();
        numbers.count("n", 1);
        numbers.count("n", 2);
    }

    #[test]
    fn keys_are_lowercase_words() {
        assert!(is_valid_key("moons_accuracy2"));
        for bad in ["", "Acc", "2x", "a-b", "a.b"] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
