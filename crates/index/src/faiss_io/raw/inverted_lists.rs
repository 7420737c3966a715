//! `ilar` array inverted lists (spec §6), in the `full` and `sprs` size encodings.

use std::borrow::Cow;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::types::{fourcc_text, RawList};

/// Whether Faiss writes the sizes of `nlist` lists, `non_empty` of which hold
/// vectors, densely (`full`) rather than as `(list_no, size)` pairs (`sprs`).
pub fn faiss_writes_full(non_empty: usize, nlist: usize) -> bool {
    non_empty > nlist / 2
}

/// A value codes are made of: `f32` (IVF-Flat's raw vectors) or `u8` (code bytes).
pub(super) trait CodeUnit: Clone + Sized + 'static {
    /// Bytes per value.
    const SIZE: usize;
    /// `count` values, little-endian (room already checked).
    fn read(r: &mut ByteReader<'_>, count: usize) -> Result<Vec<Self>, FaissIoError>;
    /// Writes the values, little-endian.
    fn write<W: Write + ?Sized>(
        w: &mut ByteWriter<'_, W>,
        values: &[Self],
    ) -> Result<(), FaissIoError>;
}

impl CodeUnit for f32 {
    const SIZE: usize = 4;
    fn read(r: &mut ByteReader<'_>, count: usize) -> Result<Vec<f32>, FaissIoError> {
        r.f32s("invlists.codes", count)
    }
    fn write<W: Write + ?Sized>(
        w: &mut ByteWriter<'_, W>,
        values: &[f32],
    ) -> Result<(), FaissIoError> {
        w.f32s(values)
    }
}

impl CodeUnit for u8 {
    const SIZE: usize = 1;
    fn read(r: &mut ByteReader<'_>, count: usize) -> Result<Vec<u8>, FaissIoError> {
        Ok(r.take(count)?.to_vec())
    }
    fn write<W: Write + ?Sized>(
        w: &mut ByteWriter<'_, W>,
        values: &[u8],
    ) -> Result<(), FaissIoError> {
        w.bytes(values)
    }
}

/// Reads the `ilar` object of an IVF index with `nlist` lists of codes of `units`
/// values each (`code_size = units * T::SIZE` bytes) and `ntotal` vectors in all.
pub(super) fn read<T: CodeUnit>(
    r: &mut ByteReader<'_>,
    nlist: usize,
    units: usize,
    ntotal: usize,
) -> Result<Vec<RawList<'static, T>>, FaissIoError> {
    let tag = r.fourcc()?;
    if &tag != b"ilar" {
        return Err(FaissIoError::UnsupportedFourcc(fourcc_text(tag)));
    }
    let at = r.offset();
    let file_nlist = r.usize("invlists.nlist")?;
    if file_nlist != nlist {
        return Err(FaissIoError::bad(
            "invlists.nlist",
            at,
            format!("{file_nlist} lists, the IVF index has {nlist}"),
        ));
    }
    let at = r.offset();
    let code_size = r.usize("invlists.code_size")?;
    let expected_code_size = units * T::SIZE;
    if code_size != expected_code_size {
        return Err(FaissIoError::bad(
            "invlists.code_size",
            at,
            format!("{code_size} bytes per code, the index needs {expected_code_size}"),
        ));
    }
    let sizes = read_sizes(r, nlist)?;
    let at = r.offset();
    let mut total = 0usize;
    for &n in &sizes {
        total = total
            .checked_add(n)
            .ok_or_else(|| FaissIoError::bad("invlists.sizes", at, "list sizes overflow"))?;
    }
    if total != ntotal {
        return Err(FaissIoError::bad(
            "invlists.sizes",
            at,
            format!("lists hold {total} vectors, the index header says {ntotal}"),
        ));
    }
    let mut lists = Vec::with_capacity(nlist);
    for n in sizes {
        // A reader that leaves codes in place notes where they start and moves on.
        if n > 0 {
            r.check_room("invlists.list", n, code_size + 8)?;
        }
        if r.skip_codes(n * code_size)? {
            lists.push(RawList {
                ids: Cow::Owned(r.i64s("invlists.ids", n)?),
                codes: Cow::Owned(Vec::new()),
            });
            continue;
        }
        if n == 0 {
            lists.push(RawList {
                ids: Cow::Owned(Vec::new()),
                codes: Cow::Owned(Vec::new()),
            });
            continue;
        }
        // Codes and ids of the list were both checked before either is allocated.
        let codes = T::read(r, n * units)?;
        let ids = r.i64s("invlists.ids", n)?;
        lists.push(RawList {
            ids: Cow::Owned(ids),
            codes: Cow::Owned(codes),
        });
    }
    Ok(lists)
}

/// Reads the list type and the sizes, returning one size per list.
fn read_sizes(r: &mut ByteReader<'_>, nlist: usize) -> Result<Vec<usize>, FaissIoError> {
    let at = r.offset();
    let list_type = r.fourcc()?;
    match &list_type {
        b"full" => {
            let at = r.offset();
            let sizes = r.vec_usize("invlists.sizes")?;
            if sizes.len() != nlist {
                return Err(FaissIoError::bad(
                    "invlists.sizes",
                    at,
                    format!("{} sizes for {nlist} lists", sizes.len()),
                ));
            }
            Ok(sizes)
        }
        b"sprs" => {
            let at = r.offset();
            let pairs = r.vec_usize("invlists.sizes")?;
            if pairs.len() % 2 != 0 {
                return Err(FaissIoError::bad(
                    "invlists.sizes",
                    at,
                    format!("odd number ({}) of (list_no, size) entries", pairs.len()),
                ));
            }
            // nlist is bounded by the caller (the quantizer's stored centroids, or a cap
            // for an untrained index), so this allocation is too.
            let mut sizes = vec![0usize; nlist];
            let mut seen = vec![false; nlist];
            for pair in pairs.chunks_exact(2) {
                let (list_no, size) = (pair[0], pair[1]);
                if list_no >= nlist || seen[list_no] {
                    return Err(FaissIoError::bad(
                        "invlists.sizes",
                        at,
                        format!("list number {list_no} out of range or repeated (nlist {nlist})"),
                    ));
                }
                seen[list_no] = true;
                sizes[list_no] = size;
            }
            Ok(sizes)
        }
        _ => Err(FaissIoError::bad(
            "invlists.list_type",
            at,
            format!(
                "{:?} is neither \"full\" nor \"sprs\"",
                fourcc_text(list_type)
            ),
        )),
    }
}

/// Writes `lists` (codes of `units` values each) as an `ilar` object, choosing `full`
/// or `sprs` as Faiss does.
pub(super) fn write<T: CodeUnit, W: Write + ?Sized>(
    lists: &[RawList<'_, T>],
    units: usize,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    for (i, l) in lists.iter().enumerate() {
        if Some(l.codes.len()) != l.ids.len().checked_mul(units) {
            return Err(FaissIoError::bad(
                "invlists.list",
                0,
                format!(
                    "list {i}: {} code values for {} ids of {units} values",
                    l.codes.len(),
                    l.ids.len()
                ),
            ));
        }
    }
    let nlist = lists.len();
    w.bytes(b"ilar")?;
    w.usize(nlist)?;
    w.usize(units * T::SIZE)?;
    let non_empty = lists.iter().filter(|l| !l.ids.is_empty()).count();
    if faiss_writes_full(non_empty, nlist) {
        w.bytes(b"full")?;
        w.usize(nlist)?;
        for l in lists {
            w.usize(l.ids.len())?;
        }
    } else {
        w.bytes(b"sprs")?;
        w.usize(2 * non_empty)?;
        for (i, l) in lists.iter().enumerate().filter(|(_, l)| !l.ids.is_empty()) {
            w.usize(i)?;
            w.usize(l.ids.len())?;
        }
    }
    for l in lists.iter().filter(|l| !l.ids.is_empty()) {
        T::write(w, &l.codes)?;
        w.i64s(&l.ids)?;
    }
    Ok(())
}
