//! The book's own directives, which the preprocessor expands and the contract checks:
//!
//! - `{{#number ch01.moons_accuracy}}`: the text of a number the chapter binary wrote to
//!   `images/ch01/numbers.json` (or, for an appendix, `{{#number speed.ch05_ratio}}`, a
//!   number its tool wrote to `images/speed/numbers.json`);
//! - `{{#cite vaswani2017}}`: a citation, linked to its entry in `book/references.md`;
//! - `{{#references}}`: the full entries of every paper the page cites.
//!
//! `\{{#…}}` is mdBook's escape for a literal directive and is left alone.

/// One directive in a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `{{#number chNN.key}}`.
    Number { chapter: String, key: String },
    /// `{{#cite key}}`.
    Cite(String),
    /// `{{#references}}`.
    References,
    /// `{{#number …}}` or `{{#cite …}}` whose argument cannot be read: what is wrong.
    Malformed(String),
}

/// A directive and where it is: `text[start..end]` is the whole `{{#…}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub directive: Directive,
}

/// Every `{{#kind argument}}` in `text` that is not escaped, as `(start, end, kind,
/// argument)` with `text[start..end]` the whole directive. mdBook allows blanks after `{{`;
/// `\{{#…}}` is its escape for a literal directive.
pub fn braced(text: &str) -> Vec<(usize, usize, &str, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| i + from) {
        let Some(end) = text[start..].find("}}").map(|i| i + start + 2) else {
            break;
        };
        from = end;
        if text[..start].ends_with('\\') {
            continue;
        }
        let Some(body) = text[start + 2..end - 2].trim().strip_prefix('#') else {
            continue;
        };
        let (kind, arg) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        found.push((start, end, kind, arg.trim()));
    }
    found
}

/// Every `number`, `cite` and `references` directive in `text`, in order. mdBook's own
/// directives (`include`, …) and escaped ones are skipped.
pub fn find(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (start, end, kind, arg) in braced(text) {
        let directive = match (kind, arg) {
            ("number", arg) => parse_number(arg),
            ("cite", arg) => parse_cite(arg),
            ("references", "") => Directive::References,
            ("references", _) => Directive::Malformed("`{{#references}}` takes no argument".into()),
            _ => continue,
        };
        found.push(Found {
            start,
            end,
            directive,
        });
    }
    found
}

fn parse_number(arg: &str) -> Directive {
    let parsed = arg.split_once('.').filter(|(chapter, key)| {
        is_source(chapter) && is_key(key) && !arg.contains(char::is_whitespace)
    });
    match parsed {
        Some((chapter, key)) => Directive::Number {
            chapter: chapter.into(),
            key: key.into(),
        },
        None => Directive::Malformed(format!(
            "`{{{{#number {arg}}}}}`: write `{{{{#number chNN.key}}}}`, a chapter such as `ch01` \
             (or an appendix such as `speed`) and a key of lowercase letters, digits and _"
        )),
    }
}

fn parse_cite(arg: &str) -> Directive {
    if is_key(arg) {
        Directive::Cite(arg.into())
    } else {
        Directive::Malformed(format!(
            "`{{{{#cite {arg}}}}}`: write `{{{{#cite key}}}}` with one key of lowercase letters \
             and digits, such as `vaswani2017`"
        ))
    }
}

/// `ch` followed by two digits.
pub fn is_chapter(name: &str) -> bool {
    name.len() == 4 && name.starts_with("ch") && name[2..].chars().all(|c| c.is_ascii_digit())
}

/// Whose numbers a page may quote: a chapter (`ch05`), or an appendix named by
/// lowercase letters only (`speed`: `images/speed/numbers.json`).
pub fn is_source(name: &str) -> bool {
    is_chapter(name) || (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase()))
}

/// Lowercase ASCII letters, digits and `_`, starting with a letter (as `dudl::numbers` keys).
pub fn is_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(text: &str) -> Vec<Directive> {
        find(text).into_iter().map(|f| f.directive).collect()
    }

    #[test]
    fn directives_are_read_and_located() {
        let text = "a {{#number ch01.acc}} b {{ #cite vaswani2017 }} {{#references}}";
        let found = find(text);
        assert_eq!(&text[found[0].start..found[0].end], "{{#number ch01.acc}}");
        assert_eq!(
            directives(text),
            [
                Directive::Number {
                    chapter: "ch01".into(),
                    key: "acc".into()
                },
                Directive::Cite("vaswani2017".into()),
                Directive::References,
            ]
        );
    }

    #[test]
    fn an_appendix_quotes_its_own_numbers() {
        assert_eq!(
            directives("{{#number speed.ch05_ratio}}"),
            [Directive::Number {
                chapter: "speed".into(),
                key: "ch05_ratio".into()
            }]
        );
    }

    #[test]
    fn escaped_and_foreign_directives_are_skipped() {
        assert!(directives(r"\{{#number ch01.acc}} {{#include a.rs:x}} {{x}}").is_empty());
    }

    #[test]
    fn malformed_arguments_are_reported() {
        for bad in [
            "{{#number acc}}",
            "{{#number ch1.acc}}",
            "{{#number ch01.Acc}}",
            "{{#number speed2.acc}}",
            "{{#number Speed.acc}}",
            "{{#cite Vaswani 2017}}",
            "{{#references x}}",
        ] {
            assert!(
                matches!(directives(bad)[..], [Directive::Malformed(_)]),
                "{bad}"
            );
        }
    }
}
