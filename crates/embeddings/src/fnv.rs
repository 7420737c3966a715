//! FNV-1a, 64-bit: the hash the golden trigram embedder is defined with, and the
//! feature hash of the hashing embedder. The arithmetic is the `fnv` crate's.

use std::hash::Hasher;

use ::fnv::FnvHasher;

/// FNV-1a 64-bit hash of `bytes`: start from the offset basis `0xcbf29ce484222325`,
/// then for each byte xor it in and multiply by the FNV prime `0x100000001b3` modulo 2^64.
///
/// ```
/// use ferrofaiss_embeddings::fnv1a64;
/// assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hasher = FnvHasher::default();
    hasher.write(bytes);
    hasher.finish()
}

/// Continues an FNV-1a 64-bit hash from state `hash` over more `bytes`, so a hash
/// of concatenated pieces can be computed without building the concatenation:
/// `fnv1a64_continue(fnv1a64(a), b) == fnv1a64(a ++ b)`.
pub fn fnv1a64_continue(hash: u64, bytes: &[u8]) -> u64 {
    let mut hasher = FnvHasher::with_key(hash);
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuing_equals_hashing_the_concatenation() {
        let whole = fnv1a64(b"hello world");
        let split = fnv1a64_continue(fnv1a64(b"hello "), b"world");
        assert_eq!(whole, split);
    }

    #[test]
    fn matches_the_definition_byte_by_byte() {
        // The definition, written out, against the crate's arithmetic.
        let reference = |bytes: &[u8]| {
            bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        };
        for text in [
            &b""[..],
            b"a",
            b"foobar",
            "\u{e9}t\u{e9}".as_bytes(),
            &[0xff; 300],
        ] {
            assert_eq!(fnv1a64(text), reference(text));
        }
    }
}
