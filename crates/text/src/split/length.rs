//! How the splitters measure a piece of text.

use std::fmt;
use std::sync::Arc;

/// The `length_function` of a LangChain splitter: maps a text to its size.
///
/// The default, [`LengthFunction::code_points`], is Python's `len`: it counts Unicode code
/// points, not bytes.
#[derive(Clone)]
pub struct LengthFunction {
    name: &'static str,
    measure: Arc<dyn Fn(&str) -> usize + Send + Sync>,
}

impl LengthFunction {
    /// Python's `len(str)`: the number of Unicode code points (LangChain's default).
    pub fn code_points() -> Self {
        Self {
            name: "code_points",
            measure: Arc::new(|s: &str| s.chars().count()),
        }
    }

    /// The number of UTF-8 bytes.
    pub fn utf8_bytes() -> Self {
        Self {
            name: "utf8_bytes",
            measure: Arc::new(str::len),
        }
    }

    /// Any other measure, such as a tokenizer's token count. It must be deterministic.
    pub fn custom(
        name: &'static str,
        measure: impl Fn(&str) -> usize + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            measure: Arc::new(measure),
        }
    }

    /// The size of `text`.
    pub fn measure(&self, text: &str) -> usize {
        (self.measure)(text)
    }

    /// The name given at construction, for diagnostics.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Default for LengthFunction {
    fn default() -> Self {
        Self::code_points()
    }
}

impl fmt::Debug for LengthFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LengthFunction").field(&self.name).finish()
    }
}
