//! Faiss-style factory strings: `Flat`, `IVF{n},Flat`, `IDMap,Flat`, `IDMap2,Flat`.

use crate::{FlatIndex, IdMap, IdMap2, Index, IndexError, IvfFlatIndex, MetricType};

/// The factory strings [`index_factory`] understands.
pub const SUPPORTED_FACTORY_STRINGS: &str = "Flat, IVF{nlist},Flat, IDMap,Flat, IDMap2,Flat";

/// Builds an empty index from a Faiss factory string (surrounding spaces ignored,
/// otherwise case-sensitive as in Faiss).
pub fn index_factory(
    d: usize,
    spec: &str,
    metric: MetricType,
) -> Result<Box<dyn Index>, IndexError> {
    if d == 0 {
        return Err(IndexError::ZeroDimension);
    }
    let unknown = || IndexError::UnknownFactory {
        spec: spec.to_string(),
        supported: SUPPORTED_FACTORY_STRINGS,
    };
    let parts: Vec<&str> = spec.trim().split(',').map(str::trim).collect();
    match parts.as_slice() {
        ["Flat"] => Ok(Box::new(FlatIndex::new(d, metric)?)),
        ["IDMap", "Flat"] => Ok(Box::new(IdMap::new(FlatIndex::new(d, metric)?)?)),
        ["IDMap2", "Flat"] => Ok(Box::new(IdMap2::new(FlatIndex::new(d, metric)?)?)),
        [ivf, "Flat"] if ivf.starts_with("IVF") => {
            let digits = &ivf[3..];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(unknown());
            }
            let nlist: usize = digits.parse().map_err(|_| unknown())?;
            Ok(Box::new(IvfFlatIndex::new(d, nlist, metric)?))
        }
        _ => Err(unknown()),
    }
}
