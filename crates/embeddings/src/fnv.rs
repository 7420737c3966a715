//! FNV-1a, 64-bit: the hash the golden trigram embedder is defined with.

/// The FNV-1a 64-bit offset basis (`0xcbf29ce484222325`).
pub const FNV1A64_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// The FNV 64-bit prime (`0x100000001b3`).
pub const FNV1A64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64-bit hash of `bytes`: start from the offset basis, then for each byte
/// xor it in and multiply by the FNV prime modulo 2^64.
///
/// ```
/// use ferrofaiss_embeddings::fnv1a64;
/// assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(FNV1A64_OFFSET_BASIS, bytes)
}

/// Continues an FNV-1a 64-bit hash from state `hash` over more `bytes`, so a hash
/// of concatenated pieces can be computed without building the concatenation:
/// `fnv1a64_continue(fnv1a64(a), b) == fnv1a64(a ++ b)`.
pub fn fnv1a64_continue(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV1A64_PRIME))
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
}
