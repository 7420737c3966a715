//! Python's `str.isspace()` whitespace set and `str.strip()`.

/// True for the characters Python's `str.isspace()` accepts, which `str.strip()` removes.
///
/// Rust's [`char::is_whitespace`] agrees with Python except for the four ASCII information
/// separators `\x1c`-`\x1f`, which Python treats as whitespace.
pub fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `s.strip()`: removes leading and trailing [`is_python_whitespace`] characters.
pub fn python_strip(s: &str) -> &str {
    s.trim_matches(is_python_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_matches_python_whitespace_set() {
        assert_eq!(python_strip("\x1c\x1d a b \x1e\x1f\u{3000}"), "a b");
        assert_eq!(
            python_strip("\u{85}\u{a0}x\u{2028}\u{2029}\u{202f}\u{205f}"),
            "x"
        );
        // U+200B ZERO WIDTH SPACE is not whitespace in Python.
        assert_eq!(python_strip("\u{200b}x"), "\u{200b}x");
    }
}
