//! The listings contract: what the book may show and where it must come from.
//!
//! [`check`] reads a repository laid out like this one (`book/`, `listings/`, `images/`) and
//! returns every place where the book breaks the contract:
//!
//! - **inline code** ([`Rule::InlineCode`]): a Rust block in `book/**/*.md` holds anything but
//!   `{{#include …}}` / `{{#rustdoc_include …}}` lines of files under `listings/`. Code the
//!   reader sees must be code the compiler and the tests have seen.
//! - **include** ([`Rule::Include`]): an include names a file that does not exist, an anchor
//!   (`file.rs:name`) without both `// ANCHOR: name` and `// ANCHOR_END: name` in the file, or a
//!   line range (`file.rs:10:20`), which silently goes stale when the file changes.
//! - **image** ([`Rule::Image`]): an image the book shows (`![alt](path)`, `<img src="…">`) is
//!   missing, is not under `images/`, leaves `book/` (mdBook copies only `book/` into the built
//!   book, so figures are reached through the `book/images` link to `../images`), or lies in
//!   `images/chNN/` without being listed in chapter NN's `FIGURES`.
//! - **orphan figure** ([`Rule::OrphanFigure`]): a file in `images/chNN/` that chapter NN's
//!   `FIGURES` does not list, so no binary rewrites it.
//! - **chapter** ([`Rule::Chapter`]): a chapter `chNN_*.md` linked from `SUMMARY.md` without a
//!   `listings/chNN_*` crate, or a crate without a chapter.
//! - **number** ([`Rule::Number`]): `{{#number chNN.key}}` whose key is not in the committed
//!   `images/chNN/numbers.json`, or is malformed. A number the text quotes comes from the run.
//! - **citation** ([`Rule::Citation`]): `{{#cite key}}` with no entry in `book/references.md`,
//!   an entry that nothing cites, or an entry without its label or link.
//! - **listing width** ([`Rule::ListingWidth`]): an included region with a line wider than
//!   [`LISTING_COLUMNS`] columns, which would scroll sideways in the book's code box.
//!
//! Each chapter crate declares the figures its binary writes in `src/lib.rs`:
//! `pub const FIGURES: &[&str] = &["activations.svg", …];`, names relative to `images/chNN/`.
//! The checker reads that constant as text; it does not build the crate.

use crate::directives::{self, Directive};
use crate::{numbers, references};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Which part of the contract a [`Violation`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A Rust block in the book that is not solely includes of files under `listings/`.
    InlineCode,
    /// An include of a missing file or anchor, or by line numbers.
    Include,
    /// An image that is missing, outside `images/`, or not declared in `FIGURES`.
    Image,
    /// A file in `images/chNN/` that chapter NN's `FIGURES` does not list.
    OrphanFigure,
    /// A chapter without a crate, or a crate without a chapter.
    Chapter,
    /// A quoted number missing from its chapter's numbers file.
    Number,
    /// A citation without an entry, or an entry without a citation.
    Citation,
    /// An included listing line too wide for the book's code box.
    ListingWidth,
}

/// The widest line an included listing may have: what the book's code box shows at its
/// default width without scrolling.
pub const LISTING_COLUMNS: usize = 80;

impl Rule {
    /// The rule's name as [`Violation`]'s `Display` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::InlineCode => "inline-code",
            Rule::Include => "include",
            Rule::Image => "image",
            Rule::OrphanFigure => "orphan-figure",
            Rule::Chapter => "chapter",
            Rule::Number => "number",
            Rule::Citation => "citation",
            Rule::ListingWidth => "listing-width",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One breach of the contract, with where it is and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The file to fix, relative to the repository root.
    pub file: PathBuf,
    /// 1-based line in `file`; 0 when the violation concerns the whole file.
    pub line: usize,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": [{}] {}", self.rule, self.message)
    }
}

/// Checks the repository at `root` against the listings contract; empty means it holds.
///
/// Violations come sorted by file and line. A file that cannot be read is itself reported.
#[must_use]
pub fn check(root: &Path) -> Vec<Violation> {
    let root = canonical(root);
    let mut repo = Repo::load(&root);
    let pages = markdown_files(&root.join("book"), &mut repo.out);
    for page in &pages {
        repo.check_page(page);
    }
    repo.check_orphans();
    repo.check_chapters();
    repo.check_references();
    let mut out = repo.out;
    out.sort();
    out.dedup();
    out
}

/// A chapter crate `listings/chNN_topic`.
struct Crate {
    dir: PathBuf,
    /// `FIGURES` from `src/lib.rs`, relative to `images/chNN/`; `None` when it declares none.
    figures: Option<BTreeSet<String>>,
}

struct Repo {
    root: PathBuf,
    /// Chapter crates by chapter number `NN`.
    crates: BTreeMap<String, Vec<Crate>>,
    /// Committed numbers by chapter (`ch01`), or why they cannot be read.
    numbers: BTreeMap<String, Result<BTreeMap<String, String>, String>>,
    /// Every `{{#cite key}}` outside `references.md`: key, page, line.
    citations: Vec<(String, PathBuf, usize)>,
    out: Vec<Violation>,
}

impl Repo {
    fn load(root: &Path) -> Repo {
        let mut repo = Repo {
            root: root.to_path_buf(),
            crates: BTreeMap::new(),
            numbers: BTreeMap::new(),
            citations: Vec::new(),
            out: Vec::new(),
        };
        let listings = root.join("listings");
        for dir in sorted_entries(&listings) {
            let Some(number) = dir_name(&dir).and_then(|n| chapter_number(&n, "_")) else {
                continue;
            };
            if !dir.join("Cargo.toml").is_file() {
                continue;
            }
            let lib = dir.join("src/lib.rs");
            let figures = match fs::read_to_string(&lib) {
                Ok(text) => parse_figures(&text),
                Err(_) => None,
            };
            repo.crates
                .entry(number)
                .or_default()
                .push(Crate { dir, figures });
        }
        repo
    }

    fn rel(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    fn report(&mut self, file: &Path, line: usize, rule: Rule, message: String) {
        let file = self.rel(file);
        self.out.push(Violation {
            file,
            line,
            rule,
            message,
        });
    }

    /// Rules (a), (b) and (c) for one markdown page.
    fn check_page(&mut self, page: &Path) {
        let text = match fs::read_to_string(page) {
            Ok(text) => text,
            Err(e) => {
                self.report(page, 0, Rule::Chapter, format!("cannot read: {e}"));
                return;
            }
        };
        let dir = page.parent().unwrap_or(&self.root).to_path_buf();
        let mut fence: Option<Fence> = None;
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim_start();
            self.check_directives(page, n, line);
            if let Some(open) = &mut fence {
                if open.closes(line) {
                    let open = fence.take().expect("fence is open");
                    if open.rust && !open.has_content {
                        self.report(
                            page,
                            open.line,
                            Rule::InlineCode,
                            "empty Rust block: include an anchored region of a listing, \
                             `{{#include ../listings/chNN_topic/src/file.rs:anchor}}`"
                                .into(),
                        );
                    }
                    continue;
                }
                if !line.is_empty() {
                    open.has_content = true;
                }
                let includes = includes_in(line);
                if open.rust {
                    let first = !open.typed;
                    open.typed |= self.check_rust_line(page, n, line, &includes, &dir, first);
                }
                for include in &includes {
                    self.check_include(page, n, include, &dir);
                }
                continue;
            }
            if let Some(open) = Fence::open(line, n) {
                fence = Some(open);
                continue;
            }
            let prose = strip_code_spans(line);
            for include in includes_in(&prose) {
                self.check_include(page, n, &include, &dir);
            }
            for target in image_targets(&prose) {
                self.check_image(page, n, &target, &dir);
            }
        }
        if let Some(open) = fence {
            if open.rust {
                self.report(
                    page,
                    open.line,
                    Rule::InlineCode,
                    "Rust block is never closed".into(),
                );
            }
        }
    }

    /// Rule (a): a line of a Rust block must be blank or includes of files under `listings/`.
    ///
    /// Returns whether the line holds typed-in code, which is reported only when `report_typed`
    /// (once per block).
    fn check_rust_line(
        &mut self,
        page: &Path,
        n: usize,
        line: &str,
        includes: &[Include],
        dir: &Path,
        report_typed: bool,
    ) -> bool {
        if line.is_empty() {
            return false;
        }
        let only_includes = includes.iter().fold(line.to_string(), |rest, i| {
            rest.replacen(&i.directive, "", 1)
        });
        if !only_includes.trim().is_empty() {
            if report_typed {
                let shown: String = line.chars().take(60).collect();
                self.report(
                    page,
                    n,
                    Rule::InlineCode,
                    format!(
                        "Rust typed into the book (`{shown}` and what follows in this block): \
                         move it into a listing crate under `listings/`, mark it \
                         `// ANCHOR: name` … `// ANCHOR_END: name`, test it, and write \
                         `{{{{#include ../listings/chNN_topic/src/file.rs:name}}}}` here"
                    ),
                );
            }
            return true;
        }
        let listings = self.root.join("listings");
        for include in includes {
            let target = normalize(&dir.join(&include.path));
            if !target.starts_with(&listings) {
                self.report(
                    page,
                    n,
                    Rule::InlineCode,
                    format!(
                        "Rust block includes `{}`, which is not under `listings/`: the book shows \
                         only code from the listing crates",
                        include.path
                    ),
                );
            }
        }
        false
    }

    /// Rule (b): the included file and anchor exist; no line ranges.
    fn check_include(&mut self, page: &Path, n: usize, include: &Include, dir: &Path) {
        let target = normalize(&dir.join(&include.path));
        let text = match fs::read_to_string(&target) {
            Ok(text) => text,
            Err(_) => {
                self.report(
                    page,
                    n,
                    Rule::Include,
                    format!(
                        "`{}` includes `{}`, which does not exist (looked for `{}`; include \
                         paths are relative to the markdown file)",
                        include.directive,
                        include.path,
                        self.rel(&target).display()
                    ),
                );
                return;
            }
        };
        match &include.selector {
            Selector::WholeFile => {
                let lines: Vec<&str> = text.lines().collect();
                self.check_width(page, n, include, &lines);
            }
            Selector::Lines(spec) => self.report(
                page,
                n,
                Rule::Include,
                format!(
                    "`{}` includes lines `{spec}` by number, which go stale when the file changes: \
                     mark the region `// ANCHOR: name` … `// ANCHOR_END: name` in `{}` and \
                     include `{}:name`",
                    include.directive,
                    include.path,
                    include.path
                ),
            ),
            Selector::Anchor(name) => {
                let start = anchor_line(&text, "ANCHOR:", name);
                let end = anchor_line(&text, "ANCHOR_END:", name);
                if let (Some(s), Some(e)) = (start, end) {
                    let region: Vec<&str> = text.lines().take(e).skip(s + 1).collect();
                    self.check_width(page, n, include, &region);
                }
                let problem = match (start, end) {
                    (Some(s), Some(e)) if s < e => None,
                    (Some(_), Some(_)) => Some("`ANCHOR_END` comes before `ANCHOR`"),
                    (None, None) => Some("neither `// ANCHOR: name` nor `// ANCHOR_END: name`"),
                    (None, Some(_)) => Some("no `// ANCHOR: name` line"),
                    (Some(_), None) => Some("no `// ANCHOR_END: name` line"),
                };
                if let Some(problem) = problem {
                    self.report(
                        page,
                        n,
                        Rule::Include,
                        format!(
                            "`{}`: anchor `{name}` is missing from `{}` ({})",
                            include.directive,
                            self.rel(&target).display(),
                            problem.replace("name", name)
                        ),
                    );
                }
            }
        }
    }

    /// Listing width: the lines an include shows fit [`LISTING_COLUMNS`] (anchor lines, which
    /// mdBook drops, excepted).
    fn check_width(&mut self, page: &Path, n: usize, include: &Include, lines: &[&str]) {
        let wide: Vec<usize> = lines
            .iter()
            .filter(|l| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
            .map(|l| l.chars().count())
            .filter(|&w| w > LISTING_COLUMNS)
            .collect();
        if let Some(widest) = wide.iter().max() {
            self.report(
                page,
                n,
                Rule::ListingWidth,
                format!(
                    "`{}` shows {} line(s) wider than {LISTING_COLUMNS} columns (the widest: {widest}), which scroll sideways in the book: wrap them in the listing",
                    include.directive,
                    wide.len()
                ),
            );
        }
    }

    /// Number and citation directives on one line of a page.
    fn check_directives(&mut self, page: &Path, n: usize, line: &str) {
        let is_bibliography = page.ends_with("book/references.md");
        for found in directives::find(line) {
            match found.directive {
                Directive::Number { chapter, key } => {
                    if let Err(problem) = self.committed_number(&chapter, &key) {
                        self.report(page, n, Rule::Number, problem);
                    }
                }
                Directive::Cite(key) if !is_bibliography => {
                    self.citations.push((key, page.to_path_buf(), n));
                }
                Directive::Malformed(problem) => {
                    let rule = if problem.contains("#number") {
                        Rule::Number
                    } else {
                        Rule::Citation
                    };
                    self.report(page, n, rule, problem);
                }
                Directive::Cite(_) | Directive::References => {}
            }
        }
    }

    /// Whether the committed numbers of `chapter` hold `key`.
    fn committed_number(&mut self, chapter: &str, key: &str) -> Result<(), String> {
        let root = self.root.clone();
        let texts = self.numbers.entry(chapter.to_string()).or_insert_with(|| {
            let path = numbers::path(&root, chapter);
            numbers::load_texts(&path).map_err(|e| format!("{e:#}"))
        });
        match texts {
            Err(why) => Err(format!("`{chapter}.{key}`: {why}")),
            Ok(texts) if texts.contains_key(key) => Ok(()),
            Ok(_) => Err(format!(
                "`{chapter}.{key}` is not in images/{chapter}/numbers.json: record it in the chapter binary (dudl::numbers) and rerun it"
            )),
        }
    }

    /// Citations: every cited key has an entry, every entry is cited, entries are well formed.
    fn check_references(&mut self) {
        let path = self.root.join("book/references.md");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let (entries, problems) = references::parse(&text);
        for (line, problem) in problems {
            self.report(&path, line, Rule::Citation, problem);
        }
        let citations = std::mem::take(&mut self.citations);
        for (key, page, n) in &citations {
            if !entries.iter().any(|e| &e.key == key) {
                self.report(
                    page,
                    *n,
                    Rule::Citation,
                    format!("`{{{{#cite {key}}}}}` has no entry in book/references.md: add it"),
                );
            }
        }
        for entry in entries {
            if !citations.iter().any(|(key, _, _)| *key == entry.key) {
                self.report(
                    &path,
                    entry.line,
                    Rule::Citation,
                    format!(
                        "entry `{}` is cited by no page: cite it where its idea enters, or remove it",
                        entry.key
                    ),
                );
            }
        }
    }

    /// Rule (c) for one image reference.
    fn check_image(&mut self, page: &Path, n: usize, target: &str, dir: &Path) {
        let remote = ["http://", "https://", "//", "data:", "ftp://"];
        if remote.iter().any(|p| target.starts_with(p)) {
            self.report(
                page,
                n,
                Rule::Image,
                format!(
                    "image `{target}` is not a file of this repository: figures live in \
                     `images/chNN/`, written by chapter NN's binary"
                ),
            );
            return;
        }
        let path = target.split(['#', '?']).next().unwrap_or(target);
        let lexical = normalize(&dir.join(path));
        if !lexical.starts_with(self.root.join("book")) {
            self.report(
                page,
                n,
                Rule::Image,
                format!(
                    "image `{target}` points outside `book/`, which mdBook does not copy into \
                     the built book: reach figures through the `book/images` link \
                     (`images/chNN/name.svg` from a page in `book/`)"
                ),
            );
            return;
        }
        if !lexical.exists() {
            self.report(
                page,
                n,
                Rule::Image,
                format!(
                    "image `{target}` does not exist (looked for `{}`): run the chapter's binary \
                     to write it, or fix the path",
                    self.rel(&lexical).display()
                ),
            );
            return;
        }
        let images = canonical(&self.root).join("images");
        let real = canonical(&lexical);
        let Ok(inside) = real.strip_prefix(&images) else {
            self.report(
                page,
                n,
                Rule::Image,
                format!(
                    "image `{target}` is not under `images/`: every figure is written by a \
                     chapter binary into `images/chNN/`"
                ),
            );
            return;
        };
        let mut parts = inside.components();
        let Some(number) = parts
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .and_then(|d| chapter_number(d, ""))
        else {
            return;
        };
        let name = slash_path(parts.as_path());
        if let Some(problem) = self.undeclared(&number, &name) {
            self.report(page, n, Rule::Image, format!("image `{target}`: {problem}"));
        }
    }

    /// Why `images/chNN/name` is not a declared figure of chapter NN, if it is not.
    fn undeclared(&self, number: &str, name: &str) -> Option<String> {
        let Some(crates) = self.crates.get(number) else {
            return Some(format!(
                "no crate `listings/ch{number}_*` declares `images/ch{number}/{name}`: figures in \
                 `images/ch{number}/` are written by that chapter's binary"
            ));
        };
        if crates
            .iter()
            .any(|c| c.figures.as_ref().is_some_and(|f| f.contains(name)))
        {
            return None;
        }
        let lib = crates
            .iter()
            .map(|c| format!("`{}`", self.rel(&c.dir.join("src/lib.rs")).display()))
            .collect::<Vec<_>>()
            .join(", ");
        if crates.iter().all(|c| c.figures.is_none()) {
            return Some(format!(
                "{lib} declares no `pub const FIGURES: &[&str] = &[...]`: list `{name}` there \
                 (and write it from the chapter's binary) or delete the file"
            ));
        }
        Some(format!(
            "`{name}` is not listed in `FIGURES` of {lib}: add it there (and write it from the \
             chapter's binary) or delete the file"
        ))
    }

    /// Every file in `images/chNN/` must be a declared figure of chapter NN.
    fn check_orphans(&mut self) {
        let images = self.root.join("images");
        for dir in sorted_entries(&images) {
            let Some(number) = dir_name(&dir).and_then(|d| chapter_number(&d, "")) else {
                continue;
            };
            if !dir.is_dir() {
                continue;
            }
            for file in files_under(&dir) {
                let name = slash_path(file.strip_prefix(&dir).unwrap_or(&file));
                if name.split('/').any(|part| part.starts_with('.')) {
                    continue;
                }
                if name == "numbers.json" && self.crates.contains_key(&number) {
                    continue; // written by the chapter binary beside its figures
                }
                if let Some(problem) = self.undeclared(&number, &name) {
                    self.report(
                        &file,
                        0,
                        Rule::OrphanFigure,
                        format!("orphan figure: {problem}"),
                    );
                }
            }
        }
    }

    /// Rule (d): chapters in SUMMARY.md and chapter crates match one to one.
    fn check_chapters(&mut self) {
        let summary = self.root.join("book/SUMMARY.md");
        let text = match fs::read_to_string(&summary) {
            Ok(text) => text,
            Err(e) => {
                self.report(&summary, 0, Rule::Chapter, format!("cannot read: {e}"));
                return;
            }
        };
        let book = self.root.join("book");
        let mut linked = BTreeSet::new();
        for (index, line) in text.lines().enumerate() {
            let n = index + 1;
            for target in link_targets(line) {
                let path = target.split('#').next().unwrap_or("");
                if path.is_empty() {
                    continue; // a draft chapter: `- [Title]()`
                }
                let file = normalize(&book.join(path));
                if !file.is_file() {
                    self.report(
                        &summary,
                        n,
                        Rule::Chapter,
                        format!("SUMMARY.md links `{path}`, which does not exist in `book/`"),
                    );
                }
                let Some(number) = Path::new(path)
                    .components()
                    .find_map(|c| chapter_number(c.as_os_str().to_str()?, "_"))
                else {
                    continue;
                };
                if !self.crates.contains_key(&number) {
                    self.report(
                        &summary,
                        n,
                        Rule::Chapter,
                        format!(
                            "chapter `{path}` has no crate `listings/ch{number}_*`: its code must \
                             live in a tested crate (or make it a draft: `[Title]()`)"
                        ),
                    );
                }
                linked.insert(number);
            }
        }
        let unlinked: Vec<PathBuf> = self
            .crates
            .iter()
            .filter(|(number, _)| !linked.contains(*number))
            .flat_map(|(_, crates)| crates.iter().map(|c| c.dir.join("Cargo.toml")))
            .collect();
        for manifest in unlinked {
            let name = manifest
                .parent()
                .and_then(dir_name)
                .unwrap_or_else(|| "?".into());
            self.report(
                &manifest,
                0,
                Rule::Chapter,
                format!(
                    "crate `{name}` has no chapter: link `book/{name}.md` from `book/SUMMARY.md` \
                     (not as a draft)"
                ),
            );
        }
        let shared: Vec<(String, Vec<PathBuf>)> = self
            .crates
            .iter()
            .filter(|(_, crates)| crates.len() > 1)
            .map(|(n, crates)| (n.clone(), crates.iter().map(|c| c.dir.clone()).collect()))
            .collect();
        for (number, dirs) in shared {
            let names: Vec<String> = dirs
                .iter()
                .map(|d| format!("`{}`", self.rel(d).display()))
                .collect();
            self.report(
                &dirs[0].join("Cargo.toml"),
                0,
                Rule::Chapter,
                format!(
                    "chapter {number} has more than one crate ({}): one crate per chapter",
                    names.join(", ")
                ),
            );
        }
    }
}

/// An open code fence.
struct Fence {
    marker: char,
    width: usize,
    rust: bool,
    line: usize,
    has_content: bool,
    /// Whether typed-in Rust has been reported for this block.
    typed: bool,
}

impl Fence {
    /// A fence that `line` (leading blanks removed) opens, if it opens one.
    fn open(line: &str, n: usize) -> Option<Fence> {
        let marker = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let width = line.chars().take_while(|c| *c == marker).count();
        if width < 3 {
            return None;
        }
        let info = line[width..].trim();
        if marker == '`' && info.contains('`') {
            return None; // an inline code span such as ```x```
        }
        let lang = info
            .trim_start_matches('{')
            .trim_start_matches('.')
            .split(|c: char| c == ',' || c.is_whitespace() || c == '}')
            .next()
            .unwrap_or("");
        let rust = lang.starts_with("rust") || lang == "rs";
        Some(Fence {
            marker,
            width,
            rust,
            line: n,
            has_content: false,
            typed: false,
        })
    }

    fn closes(&self, line: &str) -> bool {
        let width = line.chars().take_while(|c| *c == self.marker).count();
        width >= self.width && line[width..].trim().is_empty()
    }
}

/// How an include picks part of a file.
#[derive(Debug, PartialEq)]
enum Selector {
    WholeFile,
    Anchor(String),
    Lines(String),
}

/// One `{{#include path[:selector]}}` or `{{#rustdoc_include …}}`.
#[derive(Debug)]
struct Include {
    /// The whole directive, braces included.
    directive: String,
    path: String,
    selector: Selector,
}

/// The include directives in `line` (mdBook's `\{{#include …}}` escape is skipped).
fn includes_in(line: &str) -> Vec<Include> {
    let mut found = Vec::new();
    for (start, end, kind, arg) in directives::braced(line) {
        if kind != "include" && kind != "rustdoc_include" {
            continue;
        }
        let arg = arg.split_whitespace().next().unwrap_or("");
        let (path, rest) = match arg.split_once(':') {
            Some((path, rest)) => (path, Some(rest)),
            None => (arg, None),
        };
        let selector = match rest {
            None => Selector::WholeFile,
            Some(rest)
                if !rest.is_empty()
                    && !rest.contains(':')
                    && !rest.chars().all(|c| c.is_ascii_digit()) =>
            {
                Selector::Anchor(rest.to_string())
            }
            Some(rest) => Selector::Lines(rest.to_string()),
        };
        found.push(Include {
            directive: line[start..end].to_string(),
            path: path.to_string(),
            selector,
        });
    }
    found
}

/// The 1-based line where `marker name` (`ANCHOR:` or `ANCHOR_END:`) appears, as mdBook reads it.
fn anchor_line(text: &str, marker: &str, name: &str) -> Option<usize> {
    text.lines().position(|line| {
        line.match_indices(marker).any(|(i, _)| {
            let after = line[i + marker.len()..].trim_start();
            let word: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            word == name
        })
    })
}

/// `line` with inline code spans (`` `…` ``) blanked out.
fn strip_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let fence = &rest[start..start + ticks];
        out.push_str(&rest[..start]);
        match rest[start + ticks..].find(fence) {
            Some(len) => rest = &rest[start + ticks + len + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Targets of markdown images `![alt](target "title")` and HTML `<img src="target">`.
fn image_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("![") {
        rest = &rest[start + 2..];
        let Some(close) = rest.find("](") else {
            break;
        };
        rest = &rest[close + 2..];
        if let Some(target) = link_destination(rest) {
            targets.push(target);
        }
    }
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<img").map(|i| i + from) {
        from = start + 4;
        let tag_end = lower[start..].find('>').map_or(line.len(), |i| i + start);
        let tag = &line[start..tag_end];
        let tag_lower = &lower[start..tag_end];
        let Some(src) = tag_lower.find("src=") else {
            continue;
        };
        let value = &tag[src + 4..];
        let target = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split(char::is_whitespace).next().unwrap_or(""),
        };
        targets.push(target.to_string());
    }
    targets
}

/// The destination at the start of `rest`, which follows a `](`.
fn link_destination(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    if let Some(angle) = rest.strip_prefix('<') {
        return angle.split('>').next().map(str::to_string);
    }
    let end = rest.find(|c: char| c.is_whitespace() || c == ')')?;
    Some(rest[..end].to_string())
}

/// Targets of every `[text](target)` in a line of SUMMARY.md; empty for a draft.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(close) = rest.find("](") {
        rest = &rest[close + 2..];
        match rest.find(')') {
            Some(end) => targets.push(rest[..end].trim().to_string()),
            None => break,
        }
    }
    targets
}

/// `NN` when `name` is `chNN` followed by `rest_prefix` (or by nothing when it is empty).
fn chapter_number(name: &str, rest_prefix: &str) -> Option<String> {
    let name = name.strip_suffix(".md").unwrap_or(name);
    let digits = name.strip_prefix("ch")?.get(..2)?;
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = &name[4..];
    let ok = if rest_prefix.is_empty() {
        rest.is_empty()
    } else {
        rest.starts_with(rest_prefix) && rest.len() > rest_prefix.len()
    };
    ok.then(|| digits.to_string())
}

/// Parses `FIGURES: &[&str] = &["a.svg", "b.png"]` (or `[&str; 2] = [...]`) out of a `lib.rs`.
fn parse_figures(text: &str) -> Option<BTreeSet<String>> {
    let at = text
        .match_indices("FIGURES")
        .map(|(i, _)| i)
        .find(|&i| text[i + 7..].trim_start().starts_with(':'))?;
    let value = &text[at + text[at..].find('=')? + 1..];
    let list = &value[value.find('[')? + 1..];
    let mut figures = BTreeSet::new();
    let mut chars = list.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            ']' => return Some(figures),
            '/' if list[i..].starts_with("//") => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
                figures.insert(value);
            }
            _ => {}
        }
    }
    None
}

/// All `.md` files under `dir`, sorted.
fn markdown_files(dir: &Path, out: &mut Vec<Violation>) -> Vec<PathBuf> {
    if !dir.is_dir() {
        out.push(Violation {
            file: PathBuf::from("book"),
            line: 0,
            rule: Rule::Chapter,
            message: "there is no `book/` directory".into(),
        });
        return Vec::new();
    }
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect()
}

/// Every file under `dir`, sorted; hidden directories and links to directories (such as
/// `book/images`) are not entered.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in sorted_entries(dir) {
        let is_link = fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_symlink());
        if entry.is_dir() && !is_link {
            if !dir_name(&entry).is_some_and(|n| n.starts_with('.')) {
                files.extend(files_under(&entry));
            }
        } else if entry.is_file() {
            files.push(entry);
        }
    }
    files
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn dir_name(path: &Path) -> Option<String> {
    path.file_name()?.to_str().map(str::to_string)
}

/// `path` with `.` and `..` resolved lexically (links are not followed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` with links resolved, or `path` itself when that fails.
fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A relative path written with `/` on every platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_selectors_are_read_like_mdbook() {
        let inc = |s: &str| includes_in(s).remove(0).selector;
        assert_eq!(inc("{{#include a.rs}}"), Selector::WholeFile);
        assert_eq!(
            inc("{{#include a.rs:train}}"),
            Selector::Anchor("train".into())
        );
        assert_eq!(
            inc("{{#rustdoc_include a.rs:x_y}}"),
            Selector::Anchor("x_y".into())
        );
        assert_eq!(inc("{{#include a.rs:3}}"), Selector::Lines("3".into()));
        assert_eq!(inc("{{#include a.rs:3:9}}"), Selector::Lines("3:9".into()));
        assert_eq!(inc("{{#include a.rs::9}}"), Selector::Lines(":9".into()));
        assert_eq!(inc("{{ #include a.rs:x }}"), Selector::Anchor("x".into()));
        assert!(includes_in(r"\{{#include a.rs}}").is_empty());
        assert!(includes_in("{{#title x}}").is_empty());
    }

    #[test]
    fn figures_are_parsed_across_lines_and_comments() {
        let lib =
            "pub const FIGURES: &[&str] = &[\n    \"a.svg\", // the first\n    \"b/c.png\",\n];";
        let figures = parse_figures(lib).unwrap();
        assert_eq!(
            figures.into_iter().collect::<Vec<_>>(),
            ["a.svg", "b/c.png"]
        );
        let array = "pub const FIGURES: [&str; 1] = [\"a.svg\"];";
        assert_eq!(parse_figures(array).unwrap().len(), 1);
        assert!(parse_figures("pub const FIGURES: &[&str] = &[];")
            .unwrap()
            .is_empty());
        assert!(parse_figures("fn main() {}").is_none());
    }

    #[test]
    fn images_are_found_in_markdown_and_html() {
        let line = r#"![a [b]](images/ch01/x.svg "t") and <img alt="q" src="images/ch01/y.png">"#;
        assert_eq!(
            image_targets(line),
            ["images/ch01/x.svg", "images/ch01/y.png"]
        );
        assert!(image_targets(&strip_code_spans("`![x](y.png)`")).is_empty());
    }

    #[test]
    fn chapter_numbers_need_two_digits() {
        assert_eq!(chapter_number("ch05_attention", "_").as_deref(), Some("05"));
        assert_eq!(
            chapter_number("ch05_attention.md", "_").as_deref(),
            Some("05")
        );
        assert_eq!(chapter_number("ch05", "").as_deref(), Some("05"));
        assert_eq!(chapter_number("ch5_x", "_"), None);
        assert_eq!(chapter_number("ch05", "_"), None);
        assert_eq!(chapter_number("chapter", ""), None);
    }
}
