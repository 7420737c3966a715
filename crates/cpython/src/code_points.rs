//! Python string indices (code points) over Rust strings (byte offsets): `str.find()`.

/// Byte offset of every code point of one text, to translate between Rust byte offsets and
/// Python string indices (code points).
#[derive(Debug, Clone)]
pub struct CodePointOffsets {
    /// `starts[i]` is the byte offset of code point `i`; the last entry is `text.len()`.
    starts: Vec<usize>,
}

impl CodePointOffsets {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        starts.push(text.len());
        Self { starts }
    }

    /// Number of code points in the text.
    fn code_points(&self) -> usize {
        self.starts.len() - 1
    }

    /// Python's `text.find(needle, start)`: the code-point index of the first occurrence of
    /// `needle` at or after code point `start`, or -1. A negative `start` counts as 0 here
    /// (callers clamp it first, as LangChain does).
    ///
    /// `text` must be the text this index was built from.
    pub fn find(&self, text: &str, needle: &str, start: i64) -> i64 {
        let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
        if start > self.code_points() {
            return -1;
        }
        let from = self.starts[start];
        let Some(rel) = text[from..].find(needle) else {
            return -1;
        };
        match self.starts.binary_search(&(from + rel)) {
            Ok(cp) => i64::try_from(cp).unwrap_or(i64::MAX),
            // `str::find` only returns char boundaries, which are all in `starts`.
            Err(_) => -1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_counts_code_points() {
        let text = "éaé—aé";
        let idx = CodePointOffsets::new(text);
        assert_eq!(idx.find(text, "a", 0), 1);
        assert_eq!(idx.find(text, "a", 2), 4);
        assert_eq!(idx.find(text, "é", 5), 5);
        assert_eq!(idx.find(text, "", 6), 6);
        assert_eq!(idx.find(text, "", 7), -1);
        assert_eq!(idx.find(text, "z", 0), -1);
    }
}
