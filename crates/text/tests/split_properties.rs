//! Property tests of the splitters on random texts.

use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator,
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, TextSplitter,
};
use proptest::prelude::*;

/// Texts mixing ASCII, multi-byte characters, newlines and Python-only whitespace.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'e'),
            2 => Just(' '),
            2 => Just('\n'),
            1 => Just('é'),
            1 => Just('😀'),
            1 => Just('\u{1c}'),
            1 => Just('\u{3000}'),
        ],
        0..300,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn keep_mode() -> impl Strategy<Value = KeepSeparator> {
    prop_oneof![
        Just(KeepSeparator::Drop),
        Just(KeepSeparator::Start),
        Just(KeepSeparator::End)
    ]
}

fn len(s: &str) -> usize {
    s.chars().count()
}

fn character(
    separator: &str,
    size: i64,
    overlap: i64,
    keep: KeepSeparator,
) -> CharacterTextSplitter {
    CharacterTextSplitter::new(CharacterTextSplitterOptions {
        separator: separator.to_owned(),
        chunk_size: size,
        chunk_overlap: overlap,
        keep_separator: keep,
        strip_whitespace: false,
        ..CharacterTextSplitterOptions::default()
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Separator "" without overlap or stripping: the chunks are the text cut in order,
    /// every one of them full except the last.
    #[test]
    fn code_point_chunks_concatenate_to_the_text(text in text(), size in 1i64..40) {
        let split = character("", size, 0, KeepSeparator::Drop).split_text_with_warnings(&text).unwrap();
        prop_assert_eq!(split.chunks.concat(), text.clone());
        prop_assert!(split.warnings.is_empty());
        let size = size as usize;
        for (i, chunk) in split.chunks.iter().enumerate() {
            prop_assert!(!chunk.is_empty());
            if i + 1 < split.chunks.len() {
                prop_assert_eq!(len(chunk), size);
            } else {
                prop_assert!(len(chunk) <= size);
            }
        }
    }

    /// Separator "" with overlap: each chunk starts with the last min(overlap, size-1)
    /// code points of the one before; dropping them rebuilds the text.
    #[test]
    fn code_point_chunks_overlap_exactly(text in text(), size in 1i64..40, overlap_frac in 0.0f64..=1.0) {
        let overlap = ((size as f64) * overlap_frac).floor() as i64;
        let chunks = character("", size, overlap, KeepSeparator::Drop).split_text(&text).unwrap();
        let carried = (overlap as usize).min(size as usize - 1);
        let mut rebuilt = chunks.first().cloned().unwrap_or_default();
        for pair in chunks.windows(2) {
            let tail: String = pair[0].chars().skip(len(&pair[0]) - carried).collect();
            prop_assert!(pair[1].starts_with(&tail));
            rebuilt.extend(pair[1].chars().skip(carried));
        }
        prop_assert_eq!(rebuilt, text);
        for chunk in &chunks {
            prop_assert!(len(chunk) <= size as usize);
        }
    }

    /// Kept separators, no overlap, no stripping: the chunks concatenate back to the text,
    /// and when every piece fits no chunk is oversized and nothing is warned.
    #[test]
    fn kept_separator_chunks_concatenate(
        text in text(),
        separator in prop_oneof![Just(" "), Just("\n"), Just("a b"), Just("\n\n")],
        keep in prop_oneof![Just(KeepSeparator::Start), Just(KeepSeparator::End)],
        size in 1i64..60,
    ) {
        let split = character(separator, size, 0, keep).split_text_with_warnings(&text).unwrap();
        prop_assert_eq!(split.chunks.concat(), text.clone());
        // With chunk_size 1 every (non-empty) piece is a chunk of its own.
        let pieces = character(separator, 1, 0, keep).split_text(&text).unwrap();
        prop_assert_eq!(pieces.concat(), text.clone());
        let size = size as usize;
        if pieces.iter().all(|p| len(p) <= size) {
            prop_assert!(split.chunks.iter().all(|c| len(c) <= size));
            prop_assert!(split.warnings.is_empty());
        } else {
            // Only a piece larger than chunk_size, alone, may exceed it.
            for chunk in split.chunks.iter().filter(|c| len(c) > size) {
                prop_assert!(pieces.contains(chunk), "oversized chunk is one piece");
            }
        }
    }

    /// The recursive splitter with its default separators (which end with ""), no overlap
    /// and no stripping: chunks concatenate to the text and none exceeds chunk_size.
    #[test]
    fn recursive_chunks_concatenate_and_fit(text in text(), size in 1i64..80, keep in prop_oneof![Just(KeepSeparator::Start), Just(KeepSeparator::End)]) {
        let splitter = RecursiveCharacterTextSplitter::new(RecursiveCharacterTextSplitterOptions {
            chunk_size: size,
            chunk_overlap: 0,
            keep_separator: keep,
            strip_whitespace: false,
            ..RecursiveCharacterTextSplitterOptions::default()
        })
        .unwrap();
        let split = splitter.split_text_with_warnings(&text).unwrap();
        prop_assert_eq!(split.chunks.concat(), text.clone());
        prop_assert!(split.warnings.is_empty());
        for chunk in &split.chunks {
            prop_assert!(len(chunk) <= size as usize);
        }
    }

    /// Any settings, any text: no panic; a reported start_index points at the chunk.
    #[test]
    fn any_settings_never_panic_and_start_index_points_at_chunk(
        text in text(),
        separator in prop_oneof![Just(""), Just(" "), Just("\n\n"), Just("é"), Just(r"\s+"), Just(r"(?<=\.) "), Just("x*"), Just("(?=a)")],
        is_regex in any::<bool>(),
        keep in keep_mode(),
        size in -2i64..50,
        overlap in -2i64..50,
        strip in any::<bool>(),
    ) {
        let options = CharacterTextSplitterOptions {
            separator: separator.to_owned(),
            is_separator_regex: is_regex,
            chunk_size: size,
            chunk_overlap: overlap,
            keep_separator: keep,
            strip_whitespace: strip,
            add_start_index: true,
            ..CharacterTextSplitterOptions::default()
        };
        let Ok(splitter) = CharacterTextSplitter::new(options) else {
            prop_assert!(size <= 0 || overlap < 0 || overlap > size);
            return Ok(());
        };
        let documents = splitter.create_documents(&[text.as_str()], None).unwrap();
        let chars: Vec<char> = text.chars().collect();
        for document in documents {
            let start = document.metadata["start_index"].as_i64().unwrap();
            prop_assert!(start >= -1);
            if start >= 0 {
                let at: String = chars[start as usize..].iter().collect();
                prop_assert!(at.starts_with(&document.page_content));
            }
        }
    }
}
