//! The offline default embedder: lexical feature hashing, no model files.

mod features;
mod stop_words;
mod tokenize;

use crate::{EmbedFuture, EmbeddingError, Embeddings};
use features::{accumulate_stream, bigram_key, char_ngram_keys, word_key};

/// The default dimension of [`HashingEmbeddings`].
pub const HASHING_DEFAULT_DIM: usize = 1024;

/// The most bytes of one text the hashing embedder reads (16 MiB); the rest of a longer
/// text is ignored, as model embedders ignore what passes their context length.
pub const HASHING_MAX_TEXT_BYTES: usize = 16 << 20;

/// Settings of a [`HashingEmbeddings`]. `HashingConfig::default()` is the project's
/// default offline embedder; change fields from there.
#[derive(Debug, Clone, PartialEq)]
pub struct HashingConfig {
    /// Number of hash buckets, i.e. the vector dimension (default 1024). More buckets
    /// mean fewer collisions and larger vectors.
    pub dim: usize,
    /// Lower-case words (Unicode full lower-casing) before hashing (default true).
    pub lowercase: bool,
    /// Inclusive range of character n-gram lengths taken inside each word padded with
    /// `<` and `>`, or `None` for no character n-grams (default `Some((3, 5))`).
    pub char_ngrams: Option<(usize, usize)>,
    /// Down-weight a small fixed list of English stop words (default true): they keep
    /// `stop_word_weight` as word features and give no bigram or n-gram features.
    pub stop_words: bool,
    /// Weight of a stop word's occurrence relative to other words (default 0.1).
    pub stop_word_weight: f64,
    /// Weight of the word family (default 1.0).
    pub word_weight: f64,
    /// Weight of the adjacent-word-pair family (default 0.5; 0 disables bigrams).
    pub bigram_weight: f64,
    /// Weight of the character n-gram family (default 0.5).
    pub char_ngram_weight: f64,
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            dim: HASHING_DEFAULT_DIM,
            lowercase: true,
            char_ngrams: Some((3, 5)),
            stop_words: true,
            stop_word_weight: 0.1,
            word_weight: 1.0,
            bigram_weight: 0.5,
            char_ngram_weight: 0.5,
        }
    }
}

impl HashingConfig {
    /// Checks the settings: `dim >= 1`, `1 <= min <= max` n-gram lengths, weights
    /// finite and non-negative, and at least one family with a positive weight.
    fn validate(&self) -> Result<(), EmbeddingError> {
        let bad = |msg: String| Err(EmbeddingError::Config(msg));
        if self.dim == 0 {
            return bad("hashing embedder dimension must be at least 1, got 0".into());
        }
        if let Some((min, max)) = self.char_ngrams {
            if min == 0 || min > max {
                return bad(format!(
                    "character n-gram range must satisfy 1 <= min <= max, got ({min}, {max})"
                ));
            }
        }
        let weights = [
            ("stop_word_weight", self.stop_word_weight),
            ("word_weight", self.word_weight),
            ("bigram_weight", self.bigram_weight),
            ("char_ngram_weight", self.char_ngram_weight),
        ];
        for (name, w) in weights {
            if !w.is_finite() || w < 0.0 {
                return bad(format!("{name} must be finite and >= 0, got {w}"));
            }
        }
        let char_weight = if self.char_ngrams.is_some() {
            self.char_ngram_weight
        } else {
            0.0
        };
        if self.word_weight == 0.0 && self.bigram_weight == 0.0 && char_weight == 0.0 {
            return bad("every feature family has weight 0: vectors would all be zero".into());
        }
        Ok(())
    }
}

/// The offline default embedder: deterministic lexical feature hashing.
///
/// **Lexical, not semantic.** Texts are close when they share words, word pairs and
/// word fragments; synonyms and paraphrases with no words in common are not matched.
/// It needs no model files and no network, gives the same vectors on every run, and is
/// good at keyword-style retrieval (names, rare terms).
///
/// `embed(text)`:
/// 1. split into words: maximal runs of Unicode letters, digits and combining marks,
///    lower-cased (Unicode) if [`HashingConfig::lowercase`];
/// 2. features, in three families:
///    * each word (stop words from a small English list weigh
///      [`HashingConfig::stop_word_weight`] instead of 1);
///    * each pair of adjacent words, neither a stop word;
///    * character n-grams (by default 3 to 5 chars) of each non-stop word padded as
///      `<word>`, which match inflections and compounds (`nominate` / `nominated`);
/// 3. each distinct feature seen `tf` times counts `weight * (1 + ln tf)` (sublinear
///    term frequency), added with a sign (±) into bucket `hash % dim` of its family's
///    vector: the signed hash makes collisions cancel on average instead of piling up;
/// 4. each family's vector is L2-normalised and scaled by the family weight, the
///    families are summed, and the sum is L2-normalised (a text with no word gives the
///    zero vector);
/// 5. components are computed in f64 and cast to f32.
///
/// Queries and documents are embedded the same way. There is no IDF (the embedder
/// keeps no corpus statistics); the stop-word list stands in for it.
///
/// `HashingEmbeddings::default()` uses [`HashingConfig::default()`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HashingEmbeddings {
    config: HashingConfig,
}

impl HashingEmbeddings {
    /// A hashing embedder with the given settings.
    ///
    /// # Errors
    /// [`EmbeddingError::Config`] when `dim` is 0, the n-gram range is empty or starts
    /// at 0, a weight is negative or not finite, or every family has weight 0.
    pub fn new(config: HashingConfig) -> Result<Self, EmbeddingError> {
        config.validate()?;
        Ok(Self { config })
    }

    /// The default settings with `dim` buckets.
    ///
    /// # Errors
    /// [`EmbeddingError::Config`] when `dim` is 0.
    pub fn with_dim(dim: usize) -> Result<Self, EmbeddingError> {
        Self::new(HashingConfig {
            dim,
            ..HashingConfig::default()
        })
    }

    /// The settings this embedder uses.
    pub fn config(&self) -> &HashingConfig {
        &self.config
    }

    /// The embedding of `text` in f64, before the cast to f32. Only the first
    /// [`HASHING_MAX_TEXT_BYTES`] of a longer text are read (as model embedders
    /// truncate at their context length), which bounds the time one text takes;
    /// the memory it takes is bounded whatever its length.
    pub fn embed_f64(&self, text: &str) -> Vec<f64> {
        let text = truncate_at_char_boundary(text, HASHING_MAX_TEXT_BYTES);
        let c = &self.config;
        let is_stop = |w: &str| c.stop_words && stop_words::is_stop_word(w);
        // Every family walks the words again instead of keeping them: memory stays
        // bounded whatever the text's length (see `accumulate_stream`).
        let words = |visit: &mut dyn FnMut(&str, bool)| {
            tokenize::for_each_word(text, c.lowercase, |w| visit(w, is_stop(w)))
        };
        // Words are at least one byte and separated by at least one byte.
        let max_words = text.len() / 2 + 1;

        let mut total = vec![0.0f64; c.dim];
        let mut family = vec![0.0f64; c.dim];

        if c.word_weight > 0.0 {
            // Content words weigh 1, stop words `stop_word_weight`; a word is one or
            // the other, so the two key streams never share a key.
            for (stop_words, weight) in [(false, 1.0), (true, c.stop_word_weight)] {
                accumulate_stream(max_words, weight, &mut family, &|emit| {
                    words(&mut |w, stop| {
                        if stop == stop_words {
                            emit(word_key(w));
                        }
                    })
                });
            }
            add_family(&mut family, c.word_weight, &mut total);
        }
        if c.bigram_weight > 0.0 {
            accumulate_stream(max_words, 1.0, &mut family, &|emit| {
                let mut previous = String::new();
                let mut previous_content = false;
                words(&mut |w, stop| {
                    if previous_content && !stop {
                        emit(bigram_key(&previous, w));
                    }
                    previous.clear();
                    previous.push_str(w);
                    previous_content = !stop;
                })
            });
            add_family(&mut family, c.bigram_weight, &mut total);
        }
        if let Some((min, max)) = c.char_ngrams.filter(|_| c.char_ngram_weight > 0.0) {
            // Each word of n chars has at most (n + 2) windows of each length.
            let max_keys = (text.len() + 2 * max_words).saturating_mul(max - min + 1);
            accumulate_stream(max_keys, 1.0, &mut family, &|emit| {
                words(&mut |w, stop| {
                    if !stop {
                        char_ngram_keys(w, min, max, emit);
                    }
                })
            });
            add_family(&mut family, c.char_ngram_weight, &mut total);
        }
        scale_to_unit(&mut total);
        total
    }

    /// The embedding of `text` as f32 (what the store holds).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_f64(text).into_iter().map(|x| x as f32).collect()
    }
}

/// Normalises the family vector in `scratch`, adds it to `total` scaled by `weight`,
/// and clears `scratch` for the next family.
/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn truncate_at_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn add_family(scratch: &mut [f64], weight: f64, total: &mut [f64]) {
    scale_to_unit(scratch);
    for (t, s) in total.iter_mut().zip(scratch.iter_mut()) {
        *t += weight * *s;
        *s = 0.0;
    }
}

/// Divides `v` by its Euclidean norm, leaving the zero vector as it is.
fn scale_to_unit(v: &mut [f64]) {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

impl Embeddings for HashingEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Ok(texts.iter().map(|t| self.embed(t)).collect()) })
    }

    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Ok(self.embed(text)) })
    }

    /// Names the algorithm version and every setting, so a store saved with one
    /// configuration is not searched with another.
    fn name(&self) -> String {
        let c = &self.config;
        let chars = match c.char_ngrams {
            Some((min, max)) => format!("{min}-{max}"),
            None => "none".to_string(),
        };
        format!(
            "hashing-v1(dim={},lowercase={},char_ngrams={},stop_words={},stop_word_weight={},\
             weights={}/{}/{})",
            c.dim,
            c.lowercase,
            chars,
            c.stop_words,
            c.stop_word_weight,
            c.word_weight,
            c.bigram_weight,
            c.char_ngram_weight
        )
    }

    fn dimension(&self) -> Option<usize> {
        Some(self.config.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::features::{accumulate, KEYS_PER_PASS};
    use super::*;

    /// The embedding as computed before streaming: every word and every key held at
    /// once, sorted in one go. The independent reference for the multi-pass path.
    fn embed_all_at_once(e: &HashingEmbeddings, text: &str) -> Vec<f64> {
        let c = &e.config;
        let words = tokenize::words(text, c.lowercase);
        let stop: Vec<bool> = words
            .iter()
            .map(|w| c.stop_words && stop_words::is_stop_word(w))
            .collect();
        let mut total = vec![0.0f64; c.dim];
        let mut family = vec![0.0f64; c.dim];
        let mut content: Vec<u64> = (0..words.len())
            .filter(|&i| !stop[i])
            .map(|i| word_key(&words[i]))
            .collect();
        let mut stops: Vec<u64> = (0..words.len())
            .filter(|&i| stop[i])
            .map(|i| word_key(&words[i]))
            .collect();
        accumulate(&mut content, 1.0, &mut family);
        accumulate(&mut stops, c.stop_word_weight, &mut family);
        add_family(&mut family, c.word_weight, &mut total);
        let mut pairs: Vec<u64> = (1..words.len())
            .filter(|&i| !stop[i - 1] && !stop[i])
            .map(|i| bigram_key(&words[i - 1], &words[i]))
            .collect();
        accumulate(&mut pairs, 1.0, &mut family);
        add_family(&mut family, c.bigram_weight, &mut total);
        let (min, max) = c.char_ngrams.unwrap();
        let mut grams = Vec::new();
        for (w, _) in words.iter().zip(&stop).filter(|(_, &s)| !s) {
            char_ngram_keys(w, min, max, &mut |k| grams.push(k));
        }
        accumulate(&mut grams, 1.0, &mut family);
        add_family(&mut family, c.char_ngram_weight, &mut total);
        scale_to_unit(&mut total);
        total
    }

    /// A text of `words` pseudo-random words from a vocabulary of `vocab`, with stop
    /// words and punctuation mixed in.
    fn text(words: usize, vocab: u64) -> String {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut out = String::new();
        for i in 0..words {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if i % 5 == 0 {
                out.push_str("the ");
            }
            out.push_str(&format!("w{}x{} ", state % vocab, state % 7));
            if i % 11 == 0 {
                out.push_str(", and ");
            }
        }
        out
    }

    #[test]
    fn the_multi_pass_path_is_bit_for_bit_the_one_pass_result() {
        let e = HashingEmbeddings::default();
        // Past KEYS_PER_PASS character n-grams (several passes), with repeated words
        // so that keys repeat across the text.
        let long = text(120_000, 50_000);
        assert!(
            9 * long.len() > 2 * KEYS_PER_PASS,
            "the test must take several passes"
        );
        assert_eq!(e.embed_f64(&long), embed_all_at_once(&e, &long));
        // And the one-pass path, on a short text.
        let short = text(200, 100);
        assert_eq!(e.embed_f64(&short), embed_all_at_once(&e, &short));
    }

    #[test]
    fn long_texts_are_cut_on_a_char_boundary() {
        assert_eq!(truncate_at_char_boundary("abc", 3), "abc");
        assert_eq!(truncate_at_char_boundary("abcd", 3), "abc");
        // 'é' is two bytes: a cut inside it moves back before it.
        assert_eq!(truncate_at_char_boundary("aéb", 2), "a");
        assert_eq!(truncate_at_char_boundary("aéb", 3), "aé");
        assert_eq!(truncate_at_char_boundary("", 0), "");
    }
}
