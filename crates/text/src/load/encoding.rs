//! The text encodings the loaders can decode, with Python's codec names and strictness,
//! and Python's universal-newline translation.

/// A text encoding, decoded strictly as Python's codec of the same name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// `utf-8`. A leading byte-order mark is kept as U+FEFF.
    Utf8,
    /// `utf-8-sig`: UTF-8 with one leading byte-order mark removed.
    Utf8Sig,
    /// `latin-1` (ISO-8859-1): every byte is the code point of the same value.
    Latin1,
    /// `ascii`: bytes 0-127 only.
    Ascii,
    /// `cp1252` (Windows-1252); bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined.
    Cp1252,
    /// `utf-16`: a leading byte-order mark picks the byte order and is removed;
    /// without one, little-endian.
    Utf16,
    /// `utf-16-le`, byte-order mark kept.
    Utf16Le,
    /// `utf-16-be`, byte-order mark kept.
    Utf16Be,
}

/// Why a byte sequence failed to decode, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeFailure {
    /// Offset of the first bad byte.
    pub(crate) offset: usize,
    /// What was wrong.
    pub(crate) reason: &'static str,
}

/// Windows-1252 code points for bytes 0x80..=0x9F (`None`: undefined in Python's codec).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

impl TextEncoding {
    /// Looks up a Python codec name or alias (`"utf-8"`, `"UTF8"`, `"latin-1"`,
    /// `"iso-8859-1"`, `"utf-8-sig"`, `"cp1252"`, `"utf-16"`, ...). Case, `-`, space and `_`
    /// are interchangeable, as in Python's codec registry.
    pub fn from_python_name(name: &str) -> Option<Self> {
        let normalized: String = name
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        let encoding = match normalized.as_str() {
            "utf_8" | "utf8" | "u8" | "utf" | "cp65001" | "utf8_ucs2" | "utf8_ucs4" => Self::Utf8,
            "utf_8_sig" => Self::Utf8Sig,
            "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "iso8859"
            | "8859" | "cp819" | "ibm819" | "iso_ir_100" | "csisolatin1" | "iso_8859_1:1987" => {
                Self::Latin1
            }
            "ascii" | "us_ascii" | "646" | "us" | "cp367" | "ibm367" | "iso646_us" | "csascii"
            | "iso_ir_6" | "ansi_x3.4_1968" | "ansi_x3.4_1986" => Self::Ascii,
            "cp1252" | "windows_1252" | "1252" => Self::Cp1252,
            "utf_16" | "utf16" | "u16" => Self::Utf16,
            "utf_16_le" | "utf_16le" | "unicodelittleunmarked" => Self::Utf16Le,
            "utf_16_be" | "utf_16be" | "unicodebigunmarked" => Self::Utf16Be,
            _ => return None,
        };
        Some(encoding)
    }

    /// Python's canonical name of the codec.
    pub fn python_name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Sig => "utf-8-sig",
            Self::Latin1 => "latin-1",
            Self::Ascii => "ascii",
            Self::Cp1252 => "cp1252",
            Self::Utf16 => "utf-16",
            Self::Utf16Le => "utf-16-le",
            Self::Utf16Be => "utf-16-be",
        }
    }

    /// Decodes `bytes` strictly (no replacement characters). Newlines are left alone.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<String, DecodeFailure> {
        match self {
            Self::Utf8 => decode_utf8(bytes, 0),
            Self::Utf8Sig => match bytes.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) => decode_utf8(rest, 3),
                None => decode_utf8(bytes, 0),
            },
            Self::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            Self::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(offset) => Err(DecodeFailure {
                    offset,
                    reason: "ordinal not in range(128)",
                }),
                None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            },
            Self::Cp1252 => decode_cp1252(bytes),
            Self::Utf16 => match bytes {
                [0xFF, 0xFE, rest @ ..] => decode_utf16(rest, 2, false),
                [0xFE, 0xFF, rest @ ..] => decode_utf16(rest, 2, true),
                _ => decode_utf16(bytes, 0, false),
            },
            Self::Utf16Le => decode_utf16(bytes, 0, false),
            Self::Utf16Be => decode_utf16(bytes, 0, true),
        }
    }

    /// The encodings tried, in order, by `autodetect_encoding` (LangChain asks `chardet`;
    /// this is a fixed, deterministic list): the one a byte-order mark announces, UTF-8,
    /// Windows-1252, then Latin-1, which accepts any bytes.
    pub(crate) fn autodetect_candidates(bytes: &[u8]) -> Vec<Self> {
        let mut candidates = Vec::new();
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            candidates.push(Self::Utf8Sig);
        } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            candidates.push(Self::Utf16);
        }
        candidates.extend([Self::Utf8, Self::Cp1252, Self::Latin1]);
        candidates
    }
}

/// `base` is added to offsets (bytes skipped before `bytes`).
fn decode_utf8(bytes: &[u8], base: usize) -> Result<String, DecodeFailure> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => Err(DecodeFailure {
            offset: base + e.valid_up_to(),
            reason: match e.error_len() {
                Some(_) => "invalid UTF-8 sequence",
                None => "unexpected end of data",
            },
        }),
    }
}

fn decode_cp1252(bytes: &[u8]) -> Result<String, DecodeFailure> {
    let mut out = String::with_capacity(bytes.len());
    for (offset, &b) in bytes.iter().enumerate() {
        let c = match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].ok_or(DecodeFailure {
                offset,
                reason: "character maps to <undefined>",
            })?,
            _ => char::from(b),
        };
        out.push(c);
    }
    Ok(out)
}

fn decode_utf16(bytes: &[u8], base: usize, big_endian: bool) -> Result<String, DecodeFailure> {
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut offset = base;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => {
                out.push(c);
                offset += c.len_utf16() * 2;
            }
            Err(_) => {
                return Err(DecodeFailure {
                    offset,
                    reason: "illegal UTF-16 surrogate",
                })
            }
        }
    }
    if bytes.len() % 2 == 1 {
        return Err(DecodeFailure {
            offset: base + bytes.len() - 1,
            reason: "truncated data",
        });
    }
    Ok(out)
}

/// Python's universal newlines on read: `\r\n` and a lone `\r` become `\n`.
pub(crate) fn universal_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(
            TextEncoding::from_python_name("UTF-8"),
            Some(TextEncoding::Utf8)
        );
        assert_eq!(
            TextEncoding::from_python_name("utf-8-sig"),
            Some(TextEncoding::Utf8Sig)
        );
        assert_eq!(
            TextEncoding::from_python_name("ISO-8859-1"),
            Some(TextEncoding::Latin1)
        );
        assert_eq!(
            TextEncoding::from_python_name("windows-1252"),
            Some(TextEncoding::Cp1252)
        );
        assert_eq!(TextEncoding::from_python_name("klingon"), None);
    }

    // Expected values are what CPython 3.11's bytes.decode gives.
    #[test]
    fn strict_decoding_reports_offsets() {
        let bad = TextEncoding::Utf8.decode(b"ab\xC3\x28").unwrap_err();
        assert_eq!(bad.offset, 2);
        let truncated = TextEncoding::Utf8.decode(b"abc\xE2\x80").unwrap_err();
        assert_eq!(truncated.offset, 3);
        assert_eq!(TextEncoding::Ascii.decode(b"ok\x80").unwrap_err().offset, 2);
        assert_eq!(
            TextEncoding::Cp1252.decode(b"\x80\x81").unwrap_err().offset,
            1
        );
        assert_eq!(
            TextEncoding::Cp1252.decode(b"\x80\x9F").unwrap(),
            "\u{20AC}\u{0178}"
        );
        assert_eq!(TextEncoding::Latin1.decode(b"caf\xE9").unwrap(), "café");
    }

    #[test]
    fn utf16_bom_rules() {
        assert_eq!(TextEncoding::Utf16.decode(b"\xFF\xFEa\x00").unwrap(), "a");
        assert_eq!(TextEncoding::Utf16.decode(b"\xFE\xFF\x00a").unwrap(), "a");
        assert_eq!(
            TextEncoding::Utf16Le.decode(b"\xFF\xFEa\x00").unwrap(),
            "\u{FEFF}a"
        );
        assert_eq!(TextEncoding::Utf16.decode(b"a\x00b").unwrap_err().offset, 2);
        // lone high surrogate D800 then 'a'
        assert_eq!(
            TextEncoding::Utf16Le
                .decode(b"x\x00\x00\xD8a\x00")
                .unwrap_err()
                .offset,
            2
        );
    }

    #[test]
    fn universal_newline_translation() {
        assert_eq!(
            universal_newlines("a\r\nb\rc\n\r\n\rd".into()),
            "a\nb\nc\n\n\nd"
        );
    }
}
