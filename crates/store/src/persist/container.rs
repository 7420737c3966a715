//! The framing shared by our files: magic, format version, payload length and a
//! checksum, so that a truncated, damaged or foreign file is recognised before its
//! payload is decoded.
//!
//! Layout, little-endian: `magic (8 bytes) | version u32 | payload length u64 |
//! FNV-1a 64 checksum of the payload u64 | payload`.

use std::path::Path;

use crate::error::PersistError;

/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 8 + 4 + 8 + 8;

/// The checksum a docstore file of format `version` records for its index file:
/// FNV-1a 64 in version 1, XXH3-64 from version 2 on (it runs at memory speed, where
/// FNV-1a's chain of multiplies takes about 0.7 s over a 512 MB index file).
pub(crate) fn index_checksum(version: u32, bytes: &[u8]) -> u64 {
    if version >= 2 {
        xxhash_rust::xxh3::xxh3_64(bytes)
    } else {
        fnv1a64(bytes)
    }
}

/// FNV-1a 64 of `bytes` (the `fnv` crate's): a cheap checksum that catches flipped and
/// truncated bytes.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

/// Frames `payload` with `magic` and `version`.
pub(crate) fn encode(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Checks the framing of `bytes` (read from `path`, named in errors) and returns the
/// format version and the payload. `kind` names the file type in a wrong-magic error.
pub(crate) fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: &[u8; 8],
    kind: &'static str,
    supported_version: u32,
) -> Result<(u32, &'a [u8]), PersistError> {
    if bytes.len() < magic.len() || &bytes[..magic.len()] != magic {
        // A file shorter than the magic that is a prefix of it is a truncated file of
        // ours; anything else is some other file.
        if bytes.len() < magic.len() && magic.starts_with(bytes) {
            return Err(truncated(path, "the header is incomplete"));
        }
        return Err(PersistError::BadMagic {
            path: path.to_path_buf(),
            expected: kind,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(path, "the header is incomplete"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if version > supported_version {
        return Err(PersistError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: supported_version,
        });
    }
    if version == 0 {
        return Err(corrupt(path, "format version 0 does not exist"));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
    let checksum = u64::from_le_bytes(bytes[20..28].try_into().unwrap_or_default());
    let body = &bytes[HEADER_LEN..];
    let available = body.len() as u64;
    if available < len {
        return Err(truncated(
            path,
            &format!("the payload has {available} of its {len} bytes"),
        ));
    }
    if available > len {
        return Err(corrupt(
            path,
            &format!("{} bytes after the end of the payload", available - len),
        ));
    }
    if fnv1a64(body) != checksum {
        return Err(corrupt(path, "checksum mismatch"));
    }
    Ok((version, body))
}

fn truncated(path: &Path, reason: &str) -> PersistError {
    PersistError::Truncated {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// A [`PersistError::Corrupt`] for `path`.
pub(crate) fn corrupt(path: &Path, reason: &str) -> PersistError {
    PersistError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TESTMAG\0";

    fn decode_test(bytes: &[u8]) -> Result<(u32, &[u8]), PersistError> {
        decode(Path::new("f.bin"), bytes, MAGIC, "test", 2)
    }

    #[test]
    fn round_trip() {
        let framed = encode(MAGIC, 2, b"hello");
        assert_eq!(decode_test(&framed).unwrap(), (2, &b"hello"[..]));
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let framed = encode(MAGIC, 1, b"some payload");
        for cut in 0..framed.len() {
            let err = decode_test(&framed[..cut]).unwrap_err();
            assert!(
                matches!(err, PersistError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
            assert_eq!(err.path(), Path::new("f.bin"));
        }
    }

    #[test]
    fn wrong_magic_future_version_and_flipped_bytes() {
        let mut other = encode(b"OTHERMG\0", 1, b"x");
        assert!(matches!(
            decode_test(&other),
            Err(PersistError::BadMagic { .. })
        ));
        other = encode(MAGIC, 3, b"x");
        assert!(matches!(
            decode_test(&other),
            Err(PersistError::UnsupportedVersion {
                found: 3,
                supported: 2,
                ..
            })
        ));
        let mut framed = encode(MAGIC, 1, b"payload");
        let last = framed.len() - 1;
        framed[last] ^= 0x40;
        assert!(matches!(
            decode_test(&framed),
            Err(PersistError::Corrupt { .. })
        ));
        let mut long = encode(MAGIC, 1, b"payload");
        long.push(0);
        assert!(matches!(
            decode_test(&long),
            Err(PersistError::Corrupt { .. })
        ));
    }
}
