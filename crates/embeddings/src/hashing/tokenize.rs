//! Simple Unicode-aware word tokenisation for the hashing embedder.

/// Whether `c` continues a word: letters, digits, and combining marks (so a word
/// written with decomposed accents, `e` + U+0301, stays one word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// The main blocks of combining marks. `char` has no general-category query in std;
/// these ranges cover the marks that decomposed Latin, Greek and Cyrillic text uses.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Calls `visit` with each word of `text`, in order, without collecting them: words are
/// maximal runs of letters, digits and combining marks; everything else (spaces,
/// punctuation, apostrophes, symbols, emoji) separates words.
/// With `lowercase`, words are lower-cased with Unicode's full mapping
/// (`char::to_lowercase`).
pub(crate) fn for_each_word(text: &str, lowercase: bool, mut visit: impl FnMut(&str)) {
    let mut current = String::new();
    for c in text.chars() {
        if is_word_char(c) {
            if lowercase {
                current.extend(c.to_lowercase());
            } else {
                current.push(c);
            }
        } else if !current.is_empty() {
            visit(&current);
            current.clear();
        }
    }
    if !current.is_empty() {
        visit(&current);
    }
}

/// The words of `text` (see [`for_each_word`]), collected.
#[cfg(test)]
pub(crate) fn words(text: &str, lowercase: bool) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, lowercase, |w| out.push(w.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn splits_on_punctuation_and_space() {
        assert_eq!(
            words("Hello, World! It's 2022.", true),
            ["hello", "world", "it", "s", "2022"]
        );
    }

    #[test]
    fn keeps_unicode_letters_and_marks() {
        assert_eq!(
            words("Straße ÄÖÜ cafe\u{301}", true),
            ["straße", "äöü", "cafe\u{301}"]
        );
        assert_eq!(words("Straße", false), ["Straße"]);
    }

    #[test]
    fn empty_and_symbol_only_text_have_no_words() {
        assert!(words("", true).is_empty());
        assert!(words(" -- 🙂 !! ", true).is_empty());
    }
}
