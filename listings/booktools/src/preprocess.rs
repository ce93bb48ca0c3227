//! Expands the book's directives in a page: numbers by key, citations, the reference list.
//!
//! [`Library`] holds what the directives refer to: every chapter's numbers file and the
//! bibliography. [`Library::expand`] rewrites one page and lists every directive it could not
//! expand; the mdBook preprocessor (`src/bin/mdbook-dudl.rs`) fails the build on any.

use crate::directives::{find, Directive};
use crate::numbers;
use crate::references::{self, Entry};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The numbers and references a book's pages may quote.
pub struct Library {
    /// Texts by chapter (`"ch01"`) and key, or why the chapter's file could not be read.
    numbers: BTreeMap<String, Result<BTreeMap<String, String>, String>>,
    references: BTreeMap<String, Entry>,
    /// `(chapter, key)` of every number a page quoted.
    quoted: BTreeSet<(String, String)>,
}

impl Library {
    /// Reads `root/images/chNN/numbers.json` for every chapter (and `images/speed/…` for an
    /// appendix's numbers), and `src/references.md`.
    pub fn load(root: &Path, src: &Path) -> Result<Library> {
        let mut numbers = BTreeMap::new();
        let images = root.join("images");
        if let Ok(dirs) = std::fs::read_dir(&images) {
            for dir in dirs.flatten() {
                let chapter = dir.file_name().to_string_lossy().into_owned();
                let file = numbers::path(root, &chapter);
                if crate::directives::is_source(&chapter) && file.exists() {
                    let texts = numbers::load_texts(&file).map_err(|e| format!("{e:#}"));
                    numbers.insert(chapter, texts);
                }
            }
        }
        let bibliography = src.join("references.md");
        let mut references = BTreeMap::new();
        if bibliography.exists() {
            let text = std::fs::read_to_string(&bibliography)
                .with_context(|| format!("cannot read {}", bibliography.display()))?;
            let (entries, problems) = references::parse(&text);
            if let Some((line, problem)) = problems.first() {
                anyhow::bail!("{}:{line}: {problem}", bibliography.display());
            }
            references = entries.into_iter().map(|e| (e.key.clone(), e)).collect();
        }
        Ok(Library {
            numbers,
            references,
            quoted: BTreeSet::new(),
        })
    }

    /// The text of number `key` of `chapter`, or why there is none.
    fn number(&mut self, chapter: &str, key: &str) -> Result<String, String> {
        let texts = match self.numbers.get(chapter) {
            None => {
                return Err(format!(
                    "`{chapter}.{key}`: there is no images/{chapter}/numbers.json: run \
                     `cargo run --release -p {chapter}_…` to write it"
                ))
            }
            Some(Err(why)) => return Err(why.clone()),
            Some(Ok(texts)) => texts,
        };
        let text = texts.get(key).cloned().ok_or_else(|| {
            format!(
                "`{chapter}.{key}`: images/{chapter}/numbers.json has no key `{key}` (it has: \
                 {}); record it in the chapter binary with dudl::numbers",
                texts.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        self.quoted.insert((chapter.to_string(), key.to_string()));
        Ok(text)
    }

    /// `page` (its path relative to the book's source, such as `ch01_fundamentals.md`) with
    /// every directive expanded, or every problem found.
    pub fn expand(&mut self, page: &str, content: &str) -> Result<String, Vec<String>> {
        let found = find(content);
        let cited: Vec<String> = found
            .iter()
            .filter_map(|f| match &f.directive {
                Directive::Cite(key) => Some(key.clone()),
                _ => None,
            })
            .collect();
        let mut out = String::with_capacity(content.len());
        let mut problems = Vec::new();
        let mut last = 0;
        for f in &found {
            out.push_str(&content[last..f.start]);
            last = f.end;
            let expanded = match &f.directive {
                Directive::Number { chapter, key } => self.number(chapter, key),
                Directive::Cite(key) => self.cite(page, key),
                Directive::References => Ok(self.reference_list(&cited)),
                Directive::Malformed(why) => Err(why.clone()),
            };
            match expanded {
                Ok(text) => out.push_str(&text),
                Err(why) => problems.push(format!("{page}: {why}")),
            }
        }
        out.push_str(&content[last..]);
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// `[Vaswani et al., 2017](references.md#vaswani2017)`, relative to `page`.
    fn cite(&self, page: &str, key: &str) -> Result<String, String> {
        let entry = self.references.get(key).ok_or_else(|| {
            format!("`{{{{#cite {key}}}}}`: book/references.md has no entry `{key}`: add it")
        })?;
        let target = if page == "references.md" {
            format!("#{key}")
        } else {
            let depth = Path::new(page).components().count().saturating_sub(1);
            format!("{}references.md#{key}", "../".repeat(depth))
        };
        Ok(format!("[{}]({target})", entry.label))
    }

    /// The full entries of `keys`, in the bibliography's order of labels, as a list.
    fn reference_list(&self, keys: &[String]) -> String {
        let unique: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        let mut entries: Vec<&Entry> = unique
            .into_iter()
            .filter_map(|k| self.references.get(k))
            .collect();
        entries.sort_by(|a, b| a.label.cmp(&b.label));
        if entries.is_empty() {
            return "*This page cites no paper.*\n".into();
        }
        entries.iter().map(|e| format!("- {}\n", e.text)).collect()
    }

    /// `chNN.key` of every recorded number that no page quoted.
    pub fn unquoted(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for (chapter, texts) in &self.numbers {
            for key in texts.iter().flat_map(|t| t.keys()) {
                if !self.quoted.contains(&(chapter.clone(), key.clone())) {
                    keys.push(format!("{chapter}.{key}"));
                }
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Library {
        let texts = [("acc".to_string(), "98.0%".to_string())].into();
        let (entries, _) = references::parse(
            "- <a id=\"ba2016\"></a>**Ba et al., 2016.** Layer normalization. [arXiv](https://a)\n",
        );
        Library {
            numbers: [("ch01".to_string(), Ok(texts))].into(),
            references: entries.into_iter().map(|e| (e.key.clone(), e)).collect(),
            quoted: BTreeSet::new(),
        }
    }

    #[test]
    fn numbers_citations_and_references_expand() {
        let mut lib = library();
        assert_eq!(lib.unquoted(), ["ch01.acc"]);
        let page = "$a = {{#number ch01.acc}}$ {{#cite ba2016}}\n\n{{#references}}";
        let out = lib.expand("ch01_x.md", page).unwrap();
        assert_eq!(
            out,
            "$a = 98.0%$ [Ba et al., 2016](references.md#ba2016)\n\n\
             - **Ba et al., 2016.** Layer normalization. [arXiv](https://a)\n"
        );
        assert!(lib.unquoted().is_empty());
        let nested = lib.expand("part/x.md", "{{#cite ba2016}}").unwrap();
        assert_eq!(nested, "[Ba et al., 2016](../references.md#ba2016)");
    }

    #[test]
    fn unknown_keys_and_citations_are_problems_that_name_them() {
        let mut lib = library();
        let problems = lib
            .expand(
                "p.md",
                "{{#number ch01.nope}} {{#number ch09.acc}} {{#cite nobody1999}}",
            )
            .unwrap_err();
        assert_eq!(problems.len(), 3);
        assert!(problems[0].contains("no key `nope`") && problems[0].contains("acc"));
        assert!(problems[1].contains("images/ch09/numbers.json"));
        assert!(problems[2].contains("nobody1999"));
    }
}
