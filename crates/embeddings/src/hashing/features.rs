//! Feature extraction and signed feature hashing for the hashing embedder.
//!
//! A feature is a word, a pair of adjacent words, or a character n-gram of a word.
//! Each is hashed (FNV-1a 64 over a family tag and the feature's UTF-8 bytes, then a
//! SplitMix64 finaliser so every bit depends on every input bit) to one 64-bit key:
//! the key modulo `dim` picks the bucket and its top bit the sign.

use std::collections::HashMap;

use crate::fnv::{fnv1a64, fnv1a64_continue};

/// The kinds of features; each is weighted and normalised on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Single words.
    Word = 0,
    /// Two adjacent content words.
    Bigram = 1,
    /// Character n-grams of one content word, padded with `<` and `>`.
    CharNgram = 2,
}

/// SplitMix64's finaliser: a bijection that spreads FNV's weak low and high bits.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash state after the family tag, before the feature's bytes.
fn family_seed(family: Family) -> u64 {
    fnv1a64(&[family as u8])
}

/// The 64-bit key of a word.
pub(crate) fn word_key(word: &str) -> u64 {
    mix64(fnv1a64_continue(family_seed(Family::Word), word.as_bytes()))
}

/// The 64-bit key of two adjacent words.
pub(crate) fn bigram_key(first: &str, second: &str) -> u64 {
    let h = fnv1a64_continue(family_seed(Family::Bigram), first.as_bytes());
    let h = fnv1a64_continue(h, b" ");
    mix64(fnv1a64_continue(h, second.as_bytes()))
}

/// Pushes the keys of every character n-gram (`min..=max` chars) of `<word>`.
pub(crate) fn char_ngram_keys(word: &str, min: usize, max: usize, emit: &mut dyn FnMut(u64)) {
    let mut chars = Vec::with_capacity(word.len() + 2);
    chars.push('<');
    chars.extend(word.chars());
    chars.push('>');
    let seed = family_seed(Family::CharNgram);
    let mut buf = [0u8; 4];
    for start in 0..chars.len() {
        let mut h = seed;
        for (len, c) in chars[start..].iter().take(max).enumerate() {
            h = fnv1a64_continue(h, c.encode_utf8(&mut buf).as_bytes());
            if len + 1 >= min {
                emit(mix64(h));
            }
        }
    }
}

/// Adds the sublinear term frequency of each distinct key in `keys` into `buffer`
/// (signed, hashed): a feature seen `tf` times adds `± weight * (1 + ln tf)` to
/// bucket `key % dim`, with the sign given by the key's top bit.
///
/// Keys are sorted first, so the sums are the same whatever order the features were
/// found in, and the result is bit-for-bit reproducible.
pub(crate) fn accumulate(keys: &mut [u64], weight: f64, buffer: &mut [f64]) {
    keys.sort_unstable();
    for run in keys.chunk_by(|a, b| a == b) {
        add_key(run[0], run.len(), weight, buffer);
    }
}

/// Adds one distinct key, seen `tf` times, to its signed bucket.
fn add_key(key: u64, tf: usize, weight: f64, buffer: &mut [f64]) {
    let value = if tf == 1 {
        weight
    } else {
        weight * (1.0 + (tf as f64).ln())
    };
    let bucket = (key % buffer.len() as u64) as usize;
    if key >> 63 == 1 {
        buffer[bucket] -= value;
    } else {
        buffer[bucket] += value;
    }
}

/// Replays a stream of keys: each call passes every key, in the same order, to the
/// sink it is given.
pub(crate) type KeyStream<'a> = dyn Fn(&mut dyn FnMut(u64)) + 'a;

/// Most keys [`accumulate_stream`] holds at once: 4 MiB of keys, or about 16 MiB
/// while a pass counts its distinct keys in a hash map.
pub(crate) const KEYS_PER_PASS: usize = 1 << 19;

/// [`accumulate`] over the keys that `emit` produces (and produces again, identically,
/// on every call), in memory bounded by [`KEYS_PER_PASS`] whatever the text's length.
/// `upper_bound` is at least the number of keys `emit` produces.
///
/// Up to `KEYS_PER_PASS` keys, they are collected and sorted as `accumulate` does.
/// Beyond, the key space is cut into as many equal ranges as needed for each to hold
/// about `KEYS_PER_PASS` distinct keys, and one pass per range counts its keys: the
/// ranges are taken in ascending order and each in sorted order, so the buckets receive
/// the same additions in the same order, and the result is bit-for-bit the same.
pub(crate) fn accumulate_stream(
    upper_bound: usize,
    weight: f64,
    buffer: &mut [f64],
    emit: &KeyStream<'_>,
) {
    if upper_bound <= KEYS_PER_PASS {
        let mut keys = Vec::new();
        emit(&mut |k| keys.push(k));
        accumulate(&mut keys, weight, buffer);
        return;
    }
    let mut total = 0usize;
    emit(&mut |_| total += 1);
    if total <= KEYS_PER_PASS {
        return accumulate_stream(total, weight, buffer, emit);
    }
    let passes = total.div_ceil(KEYS_PER_PASS) as u64;
    // passes >= 2, so the span fits; key / span < passes for every key.
    let span = u64::MAX / passes + 1;
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let mut distinct: Vec<(u64, usize)> = Vec::new();
    for pass in 0..passes {
        counts.clear();
        emit(&mut |k| {
            if k / span == pass {
                *counts.entry(k).or_insert(0) += 1;
            }
        });
        distinct.clear();
        distinct.extend(counts.iter().map(|(&k, &tf)| (k, tf)));
        distinct.sort_unstable();
        for &(k, tf) in &distinct {
            add_key(k, tf, weight, buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_hash_the_same_text_differently() {
        assert_ne!(word_key("ab"), bigram_key("a", "b"));
        let mut grams = Vec::new();
        char_ngram_keys("a", 3, 3, &mut |k| grams.push(k));
        assert_eq!(grams.len(), 1);
        assert_ne!(grams[0], word_key("<a>"));
    }

    #[test]
    fn char_ngrams_count_windows_of_each_length() {
        // "<cat>" has 5 chars: 3 trigrams, 2 four-grams, 1 five-gram.
        let mut grams = Vec::new();
        char_ngram_keys("cat", 3, 5, &mut |k| grams.push(k));
        assert_eq!(grams.len(), 6);
        // Multi-byte characters count as one.
        let mut wide = Vec::new();
        char_ngram_keys("çäß", 3, 5, &mut |k| wide.push(k));
        assert_eq!(wide.len(), 6);
    }

    #[test]
    fn keys_spread_evenly_over_signs_and_buckets() {
        let keys: Vec<u64> = (0..10_000).map(|i| word_key(&format!("w{i}"))).collect();
        let negative = keys.iter().filter(|k| *k >> 63 == 1).count();
        assert!(
            (4_500..5_500).contains(&negative),
            "{negative} negative signs"
        );
        let mut buckets = [0usize; 16];
        keys.iter().for_each(|k| buckets[(k % 16) as usize] += 1);
        assert!(
            buckets.iter().all(|&n| (450..800).contains(&n)),
            "{buckets:?}"
        );
    }
}
