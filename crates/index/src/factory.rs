//! Faiss-style factory strings: `Flat`, `IVF{n},Flat`, `SQ8`, `SQfp16`, `IVF{n},SQ8`,
//! `IVF{n},SQfp16`, `HNSW{M}` (`HNSW{M},Flat`), and `IDMap,` / `IDMap2,` before `Flat`,
//! a scalar quantizer or an HNSW index.

use crate::{
    id_map_view, FlatIndex, HnswFlatIndex, IdMap, IdMap2, Index, IndexError, IvfFlatIndex,
    IvfSqIndex, MetricType, QuantizerType, ScalarQuantizerIndex,
};

/// The factory strings [`index_factory`] understands.
pub const SUPPORTED_FACTORY_STRINGS: &str = "Flat, IVF{nlist},Flat, SQ8, SQfp16, \
     IVF{nlist},SQ8, IVF{nlist},SQfp16, HNSW{M}, HNSW{M},Flat, IDMap,Flat, IDMap2,Flat, \
     IDMap,SQ8, IDMap,SQfp16, IDMap2,SQ8, IDMap2,SQfp16, IDMap,HNSW{M}, IDMap2,HNSW{M}";

/// Faiss's `M` when a factory string says `HNSW` without one.
const DEFAULT_HNSW_M: usize = 32;

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
    if let Some(rest) = parts.iter().position(|p| p.starts_with("HNSW")) {
        let m = hnsw_m(parts[rest]).ok_or_else(unknown)?;
        let hnsw = || -> Result<HnswFlatIndex, IndexError> { HnswFlatIndex::new(d, m, metric) };
        let flat_after = matches!(&parts[rest + 1..], [] | ["Flat"]);
        return match (&parts[..rest], flat_after) {
            ([], true) => Ok(Box::new(hnsw()?)),
            (["IDMap"], true) => Ok(Box::new(IdMap::new(hnsw()?)?)),
            (["IDMap2"], true) => Ok(Box::new(IdMap2::new(hnsw()?)?)),
            _ => Err(unknown()),
        };
    }
    match parts.as_slice() {
        ["Flat"] => Ok(Box::new(FlatIndex::new(d, metric)?)),
        [sq] if sq_type(sq).is_some() => sq_index(d, sq, metric),
        ["IDMap", "Flat"] => Ok(Box::new(IdMap::new(FlatIndex::new(d, metric)?)?)),
        ["IDMap2", "Flat"] => Ok(Box::new(IdMap2::new(FlatIndex::new(d, metric)?)?)),
        ["IDMap", sq] if sq_type(sq).is_some() => {
            Ok(Box::new(IdMap::new(sq_index(d, sq, metric)?)?))
        }
        ["IDMap2", sq] if sq_type(sq).is_some() => {
            Ok(Box::new(IdMap2::new(sq_index(d, sq, metric)?)?))
        }
        [ivf, codes]
            if ivf.starts_with("IVF") && (*codes == "Flat" || sq_type(codes).is_some()) =>
        {
            let digits = &ivf[3..];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(unknown());
            }
            let nlist: usize = digits.parse().map_err(|_| unknown())?;
            Ok(match sq_type(codes) {
                Some(qtype) => Box::new(IvfSqIndex::new(d, nlist, qtype, metric)?),
                None => Box::new(IvfFlatIndex::new(d, nlist, metric)?),
            })
        }
        _ => Err(unknown()),
    }
}

/// The `M` of a factory component `HNSW{M}` (`HNSW` alone: 32).
fn hnsw_m(component: &str) -> Option<usize> {
    let digits = component.strip_prefix("HNSW")?;
    if digits.is_empty() {
        return Some(DEFAULT_HNSW_M);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The scalar quantizer a factory component names (`SQ8`, `SQfp16`).
fn sq_type(component: &str) -> Option<QuantizerType> {
    match component {
        "SQ8" => Some(QuantizerType::Sq8),
        "SQfp16" => Some(QuantizerType::Fp16),
        _ => None,
    }
}

/// An empty scalar-quantizer index for a component [`sq_type`] knows.
fn sq_index(d: usize, component: &str, metric: MetricType) -> Result<Box<dyn Index>, IndexError> {
    let qtype = sq_type(component).ok_or_else(|| {
        IndexError::InvalidParameter(format!("{component:?} is no scalar quantizer"))
    })?;
    Ok(Box::new(ScalarQuantizerIndex::new(d, qtype, metric)?))
}

/// The factory string that builds an index of the same kind as `index` (Faiss's
/// `reverse_index_factory`): `Flat`, `IVF{nlist},Flat`, `SQ8`, `SQfp16`, or `IDMap,` /
/// `IDMap2,` before the inner index's. `None` for an index no factory string builds.
pub fn reverse_index_factory(index: &dyn Index) -> Option<String> {
    let any = index.as_any();
    if any.is::<FlatIndex>() {
        return Some("Flat".into());
    }
    if let Some(ivf) = any.downcast_ref::<IvfFlatIndex>() {
        return Some(format!("IVF{},Flat", ivf.nlist()));
    }
    if let Some(ivf) = any.downcast_ref::<IvfSqIndex>() {
        // Faiss's factory builds codes of residuals; other IVF-SQ indexes have no string.
        return ivf
            .by_residual()
            .then(|| format!("IVF{},{}", ivf.nlist(), ivf.quantizer_type().factory_name()));
    }
    if let Some(sq) = any.downcast_ref::<ScalarQuantizerIndex>() {
        return Some(sq.quantizer_type().factory_name().into());
    }
    if let Some(hnsw) = any.downcast_ref::<HnswFlatIndex>() {
        return Some(format!("HNSW{}", hnsw.m()));
    }
    let view = id_map_view(index)?;
    let inner = reverse_index_factory(view.inner)?;
    // Faiss's factory has no id map around an id map or an IVF index here.
    if inner.starts_with("IDMap") || inner.starts_with("IVF") {
        return None;
    }
    Some(format!(
        "{},{inner}",
        if view.is_map2 { "IDMap2" } else { "IDMap" }
    ))
}
