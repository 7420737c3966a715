//! The text splitters: `CharacterTextSplitter`, `RecursiveCharacterTextSplitter` with
//! the default, custom or per-language separators. The first bytes pick the splitter
//! and its settings, the rest is the text:
//!
//! `mode | chunk size | overlap | flags | separator length n | n separator bytes | text`
//!
//! mode % 4: 0 character, 1 recursive (default separators), 2 recursive (separators are
//! the separator bytes cut at NUL), 3 `from_language` (language = overlap byte % 28).
//! Flags: bit 0 regex separators, bits 1-2 keep separator (drop, start, end), bit 3
//! `start_index`, bit 4 strip whitespace, bit 5 UTF-8 byte lengths.
//!
//! Building a splitter compiles its separators' regexes, which costs far more than a
//! split under the sanitizers; the splitters built are kept per settings (a bounded
//! cache, emptied when full), so the fuzzer's time goes to splitting. Splitting takes
//! `&self`, so a cached splitter behaves exactly as a fresh one.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator, Language, LengthFunction,
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, TextSplitter,
};
use libfuzzer_sys::fuzz_target;

/// Longest separator taken from the input (keeps regex compilation cheap).
const MAX_SEPARATOR: usize = 16;

/// Most splitters kept at once.
const CACHE_CAPACITY: usize = 1024;

/// A splitter built from the settings bytes, or the constructor's refusal.
enum Built {
    Character(CharacterTextSplitter),
    Recursive(RecursiveCharacterTextSplitter),
    Refused,
}

/// What a splitter is built from: mode, chunk size, overlap, flags, the overlap byte
/// (the language of mode 3) and the separator.
type Key = (u8, i64, i64, u8, u8, String);

thread_local! {
    static SPLITTERS: RefCell<HashMap<Key, Built>> = RefCell::new(HashMap::new());
}

fn run(splitter: &impl TextSplitter, text: &str) {
    let Ok(chunks) = splitter.split_text(text) else {
        return;
    };
    for chunk in &chunks {
        assert!(!chunk.is_empty(), "an empty chunk");
    }
    let _ = splitter.create_documents(&[text], None);
}

fuzz_target!(|data: &[u8]| {
    let [mode, size, overlap, flags, sep_len, rest @ ..] = data else {
        return;
    };
    let sep_len = usize::from(*sep_len) % (MAX_SEPARATOR + 1);
    let sep_len = sep_len.min(rest.len());
    let (separator, text) = rest.split_at(sep_len);
    let separator = String::from_utf8_lossy(separator).into_owned();
    let text = String::from_utf8_lossy(text);
    let chunk_size = 1 + i64::from(*size % 64);
    // Sometimes larger than the chunk size: the constructor must refuse it.
    let chunk_overlap = i64::from(*overlap) % (chunk_size + 2);
    let key: Key = (
        mode % 4,
        chunk_size,
        chunk_overlap,
        *flags,
        *overlap,
        separator.clone(),
    );
    SPLITTERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_CAPACITY && !cache.contains_key(&key) {
            cache.clear();
        }
        let built = cache.entry(key).or_insert_with(|| {
            build(
                *mode,
                *overlap,
                *flags,
                separator,
                chunk_size,
                chunk_overlap,
            )
        });
        match built {
            Built::Character(s) => run(s, &text),
            Built::Recursive(s) => run(s, &text),
            Built::Refused => {}
        }
    });
});

/// Builds the splitter the settings bytes describe.
fn build(
    mode: u8,
    overlap: u8,
    flags: u8,
    separator: String,
    chunk_size: i64,
    chunk_overlap: i64,
) -> Built {
    let is_regex = flags & 1 != 0;
    let keep_separator = match (flags >> 1) & 3 {
        0 => KeepSeparator::Drop,
        1 | 3 => KeepSeparator::Start,
        _ => KeepSeparator::End,
    };
    let add_start_index = flags & 8 != 0;
    let strip_whitespace = flags & 16 != 0;
    let length_function = if flags & 32 != 0 {
        LengthFunction::utf8_bytes()
    } else {
        LengthFunction::code_points()
    };
    let recursive = RecursiveCharacterTextSplitterOptions {
        separators: Vec::new(),
        is_separator_regex: is_regex,
        chunk_size,
        chunk_overlap,
        length_function: length_function.clone(),
        keep_separator,
        add_start_index,
        strip_whitespace,
    };
    match mode % 4 {
        0 => {
            let options = CharacterTextSplitterOptions {
                separator,
                is_separator_regex: is_regex,
                chunk_size,
                chunk_overlap,
                length_function,
                keep_separator,
                add_start_index,
                strip_whitespace,
            };
            CharacterTextSplitter::new(options).map_or(Built::Refused, Built::Character)
        }
        1 => {
            RecursiveCharacterTextSplitter::new(recursive).map_or(Built::Refused, Built::Recursive)
        }
        2 => {
            let separators = separator.split('\0').map(str::to_owned).collect();
            let options = RecursiveCharacterTextSplitterOptions {
                separators,
                ..recursive
            };
            RecursiveCharacterTextSplitter::new(options).map_or(Built::Refused, Built::Recursive)
        }
        _ => {
            let language = Language::ALL[usize::from(overlap) % Language::ALL.len()];
            let options = RecursiveCharacterTextSplitterOptions {
                chunk_overlap: chunk_overlap.min(chunk_size),
                ..recursive
            };
            RecursiveCharacterTextSplitter::from_language(language, options)
                .map_or(Built::Refused, Built::Recursive)
        }
    }
}
