//! Reading the numbers a chapter binary wrote (`images/chNN/numbers.json`, written by
//! `dudl::numbers`): `{ "key": { "text": "98.0%", "value": 0.98 }, … }`.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The numbers file of `chapter` (`"ch01"`) in the repository at `root`.
pub fn path(root: &Path, chapter: &str) -> PathBuf {
    root.join("images").join(chapter).join("numbers.json")
}

/// The text the book shows for each key of the numbers file at `path`.
pub fn load_texts(path: &Path) -> Result<BTreeMap<String, String>> {
    let json = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}: run the chapter binary", path.display()))?;
    let value: Value = serde_json::from_str(&json)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let Value::Object(entries) = value else {
        bail!("{} must hold one JSON object of numbers", path.display());
    };
    let mut texts = BTreeMap::new();
    for (key, entry) in entries {
        let Some(text) = entry.get("text").and_then(Value::as_str) else {
            bail!("{}: number `{key}` has no \"text\"", path.display());
        };
        texts.insert(key, text.to_string());
    }
    Ok(texts)
}
