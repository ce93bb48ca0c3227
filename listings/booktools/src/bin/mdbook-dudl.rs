//! The book's mdBook preprocessor: expands `{{#number chNN.key}}`, `{{#cite key}}` and
//! `{{#references}}` (see `booktools::preprocess`).
//!
//! mdBook runs it as `mdbook-dudl supports html` (answer: yes), then with `[context, book]`
//! as JSON on standard input, and reads the book back from standard output. Any directive it
//! cannot expand fails the build with the page and the reason; a recorded number that no page
//! quotes is reported as a warning.

use anyhow::{bail, Context, Result};
use booktools::preprocess::Library;
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("supports") {
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read mdBook's input")?;
    let value: Value = serde_json::from_str(&input).context("mdBook's input is not JSON")?;
    let Value::Array(mut pair) = value else {
        bail!("mdBook's input is not [context, book]");
    };
    let (Some(mut book), Some(context)) = (pair.pop(), pair.pop()) else {
        bail!("mdBook's input is not [context, book]");
    };
    let root = PathBuf::from(context["root"].as_str().context("no root in the context")?);
    let src = root.join(context["config"]["book"]["src"].as_str().unwrap_or("src"));
    let mut library = Library::load(&root, &src)?;
    let mut problems = Vec::new();
    expand_chapters(&mut book, &mut library, &mut problems);
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        bail!("{} directive(s) could not be expanded", problems.len());
    }
    let unquoted = library.unquoted();
    if !unquoted.is_empty() {
        eprintln!(
            "warning: recorded numbers no page quotes: {}",
            unquoted.join(", ")
        );
    }
    serde_json::to_writer(std::io::stdout().lock(), &book).context("cannot write the book")?;
    Ok(())
}

/// Expands every chapter in `value`: any object with a string `content` and a `path`.
fn expand_chapters(value: &mut Value, library: &mut Library, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let page = map.get("path").and_then(Value::as_str).map(str::to_string);
            if let (Some(page), Some(Value::String(content))) = (page, map.get_mut("content")) {
                match library.expand(&page, content) {
                    Ok(expanded) => *content = expanded,
                    Err(found) => problems.extend(found),
                }
            }
            for child in map.values_mut() {
                expand_chapters(child, library, problems);
            }
        }
        Value::Array(items) => {
            for item in items {
                expand_chapters(item, library, problems);
            }
        }
        _ => {}
    }
}
