//! Splitting a text on a separator the way LangChain's `_split_text_with_regex` does:
//! Python's `re.split`, optionally keeping the separator, with empty pieces dropped.

use super::error::SplitterError;

/// LangChain's `keep_separator` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepSeparator {
    /// `False`: separators are dropped and re-inserted when pieces are merged.
    #[default]
    Drop,
    /// `True` or `"start"`: each separator stays at the start of the piece after it.
    Start,
    /// `"end"`: each separator stays at the end of the piece before it.
    End,
}

impl KeepSeparator {
    /// Python truthiness of the setting: pieces keep their separators.
    pub fn keeps(self) -> bool {
        self != Self::Drop
    }
}

/// A compiled separator.
#[derive(Debug, Clone)]
pub(crate) enum Separator {
    /// `""`: every code point is a piece (`list(text)`).
    Empty,
    /// A literal string (`is_separator_regex=False`, i.e. `re.escape(separator)`).
    Literal(String),
    /// A regular expression (`is_separator_regex=True`).
    Regex {
        /// The pattern as given.
        source: String,
        /// The compiled pattern.
        regex: Box<fancy_regex::Regex>,
    },
}

impl Separator {
    /// Compiles `separator`. Python compiles lazily, on first use; this reports a bad
    /// pattern at construction instead.
    pub(crate) fn new(separator: &str, is_regex: bool) -> Result<Self, SplitterError> {
        if separator.is_empty() {
            return Ok(Self::Empty);
        }
        if !is_regex {
            return Ok(Self::Literal(separator.to_owned()));
        }
        let regex = fancy_regex::Regex::new(&python_pattern(separator)).map_err(|e| {
            SplitterError::InvalidSeparatorRegex {
                pattern: separator.to_owned(),
                message: e.to_string(),
            }
        })?;
        Ok(Self::Regex {
            source: separator.to_owned(),
            regex: Box::new(regex),
        })
    }

    /// Python's `re.search(pattern, text) is not None`.
    pub(crate) fn occurs_in(&self, text: &str) -> Result<bool, SplitterError> {
        match self {
            Self::Empty => Ok(true),
            Self::Literal(sep) => Ok(text.contains(sep.as_str())),
            Self::Regex { source, regex } => {
                regex.is_match(text).map_err(|e| match_failed(source, &e))
            }
        }
    }

    /// The pieces of `text` (borrowed from it), empty ones dropped, as
    /// `_split_text_with_regex(text, pattern, keep_separator)` returns them.
    pub(crate) fn split<'t>(
        &self,
        text: &'t str,
        keep: KeepSeparator,
    ) -> Result<Vec<&'t str>, SplitterError> {
        let matches = match self {
            Self::Empty => {
                return Ok(text
                    .char_indices()
                    .map(|(i, c)| &text[i..i + c.len_utf8()])
                    .collect());
            }
            Self::Literal(sep) => text
                .match_indices(sep.as_str())
                .map(|(start, m)| (start, start + m.len()))
                .collect(),
            Self::Regex { source, regex } => python_regex_matches(source, regex, text)?,
        };
        Ok(pieces_between(text, &matches, keep))
    }
}

/// Rewrites the escapes whose meaning differs between Python's `re` (on `str`) and Rust:
/// Python's `\s` also matches the separators `\x1c`-`\x1f` (they are `str.isspace()`), and
/// Python's `\Z` is Rust's `\z`. The replacements are (nested) classes, valid inside a
/// class too.
fn python_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push_str(r"[\s\x1c-\x1f]"),
            Some('S') => out.push_str(r"[^\s\x1c-\x1f]"),
            Some('Z') => out.push_str(r"\z"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn match_failed(source: &str, error: &fancy_regex::Error) -> SplitterError {
    SplitterError::RegexMatchFailed {
        pattern: source.to_owned(),
        message: error.to_string(),
    }
}

/// The matches `re.split` splits on, with Python's (3.7+) empty-match rules: an empty match
/// is allowed right after a non-empty one, but never twice at the same position.
fn python_regex_matches(
    source: &str,
    regex: &fancy_regex::Regex,
    text: &str,
) -> Result<Vec<(usize, usize)>, SplitterError> {
    let mut matches = Vec::new();
    let mut pos = 0;
    let mut last_was_empty = false;
    while pos <= text.len() {
        let Some(mut found) = regex
            .find_from_pos(text, pos)
            .map_err(|e| match_failed(source, &e))?
            .map(|m| (m.start(), m.end()))
        else {
            break;
        };
        if last_was_empty && found == (pos, pos) {
            // Python refuses a second empty match at the same place and searches on from
            // the next code point.
            let Some(c) = text[pos..].chars().next() else {
                break;
            };
            match regex
                .find_from_pos(text, pos + c.len_utf8())
                .map_err(|e| match_failed(source, &e))?
            {
                Some(m) => found = (m.start(), m.end()),
                None => break,
            }
        }
        matches.push(found);
        last_was_empty = found.0 == found.1;
        pos = found.1;
    }
    Ok(matches)
}

/// Cuts `text` at the separator `matches` and applies `keep` the way LangChain combines the
/// output of `re.split("(" + pattern + ")", text)`; then drops empty pieces.
fn pieces_between<'t>(
    text: &'t str,
    matches: &[(usize, usize)],
    keep: KeepSeparator,
) -> Vec<&'t str> {
    let mut pieces = Vec::with_capacity(matches.len() + 1);
    let mut from = 0;
    for &(start, end) in matches {
        match keep {
            // t_i
            KeepSeparator::Drop => {
                pieces.push(&text[from..start]);
                from = end;
            }
            // t_i + s_i
            KeepSeparator::End => {
                pieces.push(&text[from..end]);
                from = end;
            }
            // s_(i-1) + t_i
            KeepSeparator::Start => {
                pieces.push(&text[from..start]);
                from = start;
            }
        }
    }
    pieces.push(&text[from..]);
    pieces.retain(|p| !p.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(sep: &str, regex: bool, text: &str, keep: KeepSeparator) -> Vec<String> {
        Separator::new(sep, regex)
            .unwrap()
            .split(text, keep)
            .unwrap()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn literal_modes() {
        let t = "a--b----c--";
        assert_eq!(split("--", false, t, KeepSeparator::Drop), ["a", "b", "c"]);
        assert_eq!(
            split("--", false, t, KeepSeparator::Start),
            ["a", "--b", "--", "--c", "--"]
        );
        assert_eq!(
            split("--", false, t, KeepSeparator::End),
            ["a--", "b--", "--", "c--"]
        );
    }

    #[test]
    fn literal_is_not_a_regex() {
        assert_eq!(split(".", false, "a.b", KeepSeparator::Drop), ["a", "b"]);
    }

    #[test]
    fn empty_separator_gives_code_points() {
        assert_eq!(
            split("", false, "aé—", KeepSeparator::Drop),
            ["a", "é", "—"]
        );
        assert_eq!(split("", true, "ab", KeepSeparator::End), ["a", "b"]);
    }

    // Expected values below are what CPython 3.11's re.split returns (then empties dropped).
    #[test]
    fn python_empty_match_rules() {
        // re.split('x*', 'axbc') == ['', 'a', '', 'b', 'c', '']
        assert_eq!(
            split("x*", true, "axbc", KeepSeparator::Drop),
            ["a", "b", "c"]
        );
        // re.split('(x*)', 'axbc') == ['', '', 'a', 'x', '', '', 'b', '', 'c', '', '']
        assert_eq!(
            split("x*", true, "axbc", KeepSeparator::End),
            ["ax", "b", "c"]
        );
        assert_eq!(
            split("x*", true, "axbc", KeepSeparator::Start),
            ["a", "x", "b", "c"]
        );
    }

    #[test]
    fn lookbehind_sees_text_before_the_search_position() {
        assert_eq!(
            split(r"(?<=\.) ", true, "One. Two. Three", KeepSeparator::Drop),
            ["One.", "Two.", "Three"]
        );
    }

    #[test]
    fn python_whitespace_class() {
        // re.split(r'\s+', 'a\x1cb c') == ['a', 'b', 'c']
        assert_eq!(
            split(r"\s+", true, "a\x1cb c", KeepSeparator::Drop),
            ["a", "b", "c"]
        );
        // re.split(r'[^\S]', 'a\x1fb') == ['a', 'b']; re.split(r'[\S]+', ' a\x1f') == [' ', '\x1f']
        assert_eq!(
            split(r"[^\S]", true, "a\x1fb", KeepSeparator::Drop),
            ["a", "b"]
        );
        assert_eq!(
            split(r"[\S]+", true, " a\x1f", KeepSeparator::Drop),
            [" ", "\x1f"]
        );
        assert_eq!(
            split(r"\\s", true, "a\\sb", KeepSeparator::Drop),
            ["a", "b"]
        );
        assert_eq!(split(r"x\Z", true, "axbx", KeepSeparator::Drop), ["axb"]);
    }

    #[test]
    fn bad_regex_is_a_typed_error() {
        assert!(matches!(
            Separator::new("(", true),
            Err(SplitterError::InvalidSeparatorRegex { .. })
        ));
    }
}
