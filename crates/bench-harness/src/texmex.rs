//! TEXMEX vector files (`.fvecs` / `.ivecs`), as `ferrofaiss bench` reads them: each
//! record is a little-endian `i32` dimension followed by that many 4-byte values.

/// A matrix read from a TEXMEX file: `n` rows of `d` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Vecs<T> {
    /// Row dimension.
    pub d: usize,
    /// Number of rows.
    pub n: usize,
    /// Row-major values.
    pub data: Vec<T>,
}

/// Why TEXMEX bytes could not be read (the caller names the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedVecs(pub String);

/// Largest row dimension accepted (2^20 values, 4 MiB per record).
pub const MAX_DIMENSION: i32 = 1 << 20;

/// Parses TEXMEX bytes: each record is an `i32` dimension then that many 4-byte
/// little-endian values, decoded by `decode`; every record must have the same
/// dimension, between 1 and [`MAX_DIMENSION`].
pub fn parse_vecs<T>(bytes: &[u8], decode: fn([u8; 4]) -> T) -> Result<Vecs<T>, MalformedVecs> {
    if bytes.len() < 4 {
        return Err(MalformedVecs(format!(
            "{} bytes: not even one record header",
            bytes.len()
        )));
    }
    let d = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if d <= 0 || d > MAX_DIMENSION {
        return Err(MalformedVecs(format!(
            "dimension {d} in the first record header"
        )));
    }
    let d = d as usize;
    let stride = 4 * (d + 1);
    if !bytes.len().is_multiple_of(stride) {
        return Err(MalformedVecs(format!(
            "{} bytes is not a whole number of records of dimension {d} ({stride} bytes each)",
            bytes.len()
        )));
    }
    let n = bytes.len() / stride;
    let mut data = Vec::with_capacity(n * d);
    for (i, rec) in bytes.chunks_exact(stride).enumerate() {
        let di = i32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
        if di as i64 != d as i64 {
            return Err(MalformedVecs(format!(
                "record {i} has dimension {di}, expected {d}"
            )));
        }
        data.extend(
            rec[4..]
                .chunks_exact(4)
                .map(|c| decode([c[0], c[1], c[2], c[3]])),
        );
    }
    Ok(Vecs { d, n, data })
}

/// Parses the bytes of a `.fvecs` file (`f32` values).
pub fn parse_fvecs(bytes: &[u8]) -> Result<Vecs<f32>, MalformedVecs> {
    parse_vecs(bytes, f32::from_le_bytes)
}

/// Parses the bytes of an `.ivecs` file (`i32` values).
pub fn parse_ivecs(bytes: &[u8]) -> Result<Vecs<i32>, MalformedVecs> {
    parse_vecs(bytes, i32::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fvecs(rows: &[&[f32]]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in rows {
            out.extend_from_slice(&(r.len() as i32).to_le_bytes());
            for v in *r {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn parses_fvecs_and_rejects_malformed_files() {
        let ok = fvecs(&[&[1.0, 2.0], &[3.0, 4.0]]);
        let v = parse_fvecs(&ok).unwrap();
        assert_eq!((v.n, v.d, v.data), (2, 2, vec![1.0, 2.0, 3.0, 4.0]));
        for bad in [
            Vec::new(),
            vec![1, 0],
            ok[..ok.len() - 1].to_vec(),
            fvecs(&[&[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0]]),
            (-1i32).to_le_bytes().to_vec(),
            fvecs(&[&[]]),
        ] {
            assert!(parse_fvecs(&bad).is_err(), "{bad:?}");
        }
    }
}
