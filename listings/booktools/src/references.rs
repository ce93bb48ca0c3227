//! The bibliography, `book/references.md`: one entry a line,
//!
//! ```text
//! - <a id="vaswani2017"></a>**Vaswani et al., 2017.** A. Vaswani, …. Attention is all you
//!   need. *NeurIPS*. [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)
//! ```
//!
//! The id is the key `{{#cite vaswani2017}}` uses; the bold label is what a citation shows.

use crate::directives::is_key;

/// One bibliography entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// `Vaswani et al., 2017` (the bold label without its final full stop).
    pub label: String,
    /// The entry as a reader sees it: the line without the list marker and the anchor.
    pub text: String,
    /// 1-based line in `references.md`.
    pub line: usize,
}

/// The entries of `text`, and `(line, problem)` for each entry that breaks the format.
pub fn parse(text: &str) -> (Vec<Entry>, Vec<(usize, String)>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let Some(rest) = raw.trim_start().strip_prefix("- <a id=\"") else {
            continue;
        };
        let Some((key, rest)) = rest.split_once("\"></a>") else {
            problems.push((line, "write the anchor as `<a id=\"key\"></a>`".into()));
            continue;
        };
        let label = rest
            .strip_prefix("**")
            .and_then(|r| r.split_once("**"))
            .map(|(label, _)| label.trim_end_matches('.').trim().to_string());
        let problem = if !is_key(key) {
            Some(format!("key `{key}`: use lowercase letters and digits"))
        } else if entries.iter().any(|e| e.key == key) {
            Some(format!("key `{key}` is used by two entries"))
        } else if label.as_deref().is_none_or(str::is_empty) {
            Some(format!(
                "entry `{key}` has no bold label after its anchor (`**Author et al., 2017.**`)"
            ))
        } else if !rest.contains("](http") {
            Some(format!(
                "entry `{key}` has no link: give its DOI or arXiv address as [text](https://…)"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            problems.push((line, problem));
            continue;
        }
        entries.push(Entry {
            key: key.to_string(),
            label: label.unwrap_or_default(),
            text: rest.trim().to_string(),
            line,
        });
    }
    (entries, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_their_problems_are_read() {
        let text = "# References\n\
            - <a id=\"ba2016\"></a>**Ba et al., 2016.** Layer normalization. [arXiv](https://arxiv.org/abs/1607.06450)\n\
            - <a id=\"ba2016\"></a>**Ba et al., 2016.** Again. [arXiv](https://x)\n\
            - <a id=\"nolink2000\"></a>**No Link, 2000.** A title.\n\
            - <a id=\"nolabel2000\"></a>A title. [x](https://x)\n";
        let (entries, problems) = parse(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].label, "Ba et al., 2016");
        assert_eq!(entries[0].line, 2);
        assert!(entries[0].text.starts_with("**Ba et al., 2016.** Layer"));
        let lines: Vec<usize> = problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, [3, 4, 5]);
    }
}
