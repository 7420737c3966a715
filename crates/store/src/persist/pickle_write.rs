//! Writing LangChain's `index.pkl`: the pickle of `(InMemoryDocstore,
//! index_to_docstore_id)` that `FAISS.save_local` writes (`specs/langchain-pickle.md`).
//!
//! The writer emits exactly that object graph and nothing else, the way CPython's C
//! pickler does at protocol 4, so that a store LangChain saved and the same store saved
//! here are byte-identical where Python's output is deterministic:
//!
//! * `PROTO 4`, then `FRAME`s of at least 64 KiB (the frame boundary is checked before
//!   each object, as `_Pickler_OpcodeBoundary` does; a string of 64 KiB or more is
//!   written outside any frame);
//! * every string, dict, list, set, class, object and the final tuple is `MEMOIZE`d;
//!   a string seen before is a `BINGET`/`LONG_BINGET` of the first one. Python shares
//!   by object identity, we share equal strings: the same result wherever LangChain's
//!   strings are shared (interned field names, the docstore id that is also
//!   `Document.id` and the `index_to_docstore_id` value, `type` = the class name,
//!   metadata keys written as literals) and a different but equal object graph where
//!   Python held two equal strings apart;
//! * dicts and lists are filled in batches of 1000 (`MARK … SETITEMS` / `APPENDS`; a
//!   one-item container uses `SETITEM` / `APPEND`; a dict of a multiple of 1000 items
//!   ends with an empty batch, as CPython's `batch_dict_exact` writes);
//! * `Document.__pydantic_fields_set__` is written in the order CPython gives with
//!   `PYTHONHASHSEED=0` (`id`, `page_content`, `metadata`); other seeds only reorder it.
//!
//! Metadata (JSON) becomes Python values: `null` → `None`, booleans → `bool`, integers
//! (i64 or u64) → `int`, other numbers → `float` (so `1.0` stays a float), strings →
//! `str`, arrays → `list`, objects → `dict` with `str` keys in their order. Nesting
//! deeper than the reader accepts ([`MAX_DEPTH`]) is refused, so whatever is written
//! here reads back.

use std::collections::HashMap;

use ferrofaiss_docstore::{Document, InMemoryDocstore, Metadata};
use serde_json::Value;

use super::langchain::MAX_DEPTH;

/// CPython's pickler batch size for `SETITEMS` / `APPENDS` / `ADDITEMS`.
const BATCH: usize = 1000;
/// CPython's frame target size: a frame is closed once it holds this many bytes.
const FRAME_TARGET: usize = 64 * 1024;
/// A frame shorter than this gets no `FRAME` header.
const FRAME_MIN: usize = 4;
/// `FRAME` opcode and its u64 length.
const FRAME_HEADER: usize = 9;

const DOCSTORE_MODULE: &str = "langchain_community.docstore.in_memory";
const DOCSTORE_CLASS: &str = "InMemoryDocstore";
const DOCUMENT_MODULE: &str = "langchain_core.documents.base";
const DOCUMENT_CLASS: &str = "Document";

/// Why a store cannot be written as a LangChain pickle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WriteError(pub(crate) String);

/// The bytes of `index.pkl` for this docstore and row-to-id map, documents in the
/// docstore's order (LangChain's `_dict` insertion order).
pub(crate) fn write_langchain_pickle(
    docstore: &InMemoryDocstore,
    index_to_docstore_id: &[String],
) -> Result<Vec<u8>, WriteError> {
    let mut w = Writer::default();
    w.raw(&[0x80, 4]);
    w.framing = true;
    // The top-level tuple, its first item the docstore object.
    w.boundary();
    w.boundary();
    w.new_object(DOCSTORE_MODULE, DOCSTORE_CLASS)?;
    // Its state: {"_dict": {id: Document, ...}}.
    w.boundary();
    w.empty_container(b'}')?;
    w.save_str("_dict")?;
    w.boundary();
    w.empty_container(b'}')?;
    let docs: Vec<(&str, &Document)> = docstore.iter().collect();
    w.batched(&docs, b'u', b's', true, |w, (key, doc)| {
        w.save_str(key)?;
        w.document(doc)
    })?;
    w.op(b's');
    w.op(b'b');
    // index_to_docstore_id: {row: id}.
    w.boundary();
    w.empty_container(b'}')?;
    let rows: Vec<(usize, &String)> = index_to_docstore_id.iter().enumerate().collect();
    w.batched(&rows, b'u', b's', true, |w, (row, id)| {
        w.boundary();
        w.int_u64(*row as u64);
        w.save_str(id)
    })?;
    w.op(0x86);
    w.memoize()?;
    w.op(b'.');
    w.commit_frame();
    Ok(w.out)
}

#[derive(Default)]
struct Writer<'a> {
    out: Vec<u8>,
    framing: bool,
    /// Where the open frame's header sits, if a frame is open.
    frame_start: Option<usize>,
    /// Memo entries made so far (the next `MEMOIZE` index).
    memo_len: u64,
    /// Memo index of each string written.
    strings: HashMap<&'a str, u64>,
    /// Memo index of each class written, by class name.
    classes: HashMap<&'static str, u64>,
}

impl<'a> Writer<'a> {
    /// Appends bytes, opening a frame first when framing and none is open.
    fn raw(&mut self, bytes: &[u8]) {
        if self.framing && self.frame_start.is_none() {
            self.frame_start = Some(self.out.len());
            self.out.extend_from_slice(&[0; FRAME_HEADER]);
        }
        self.out.extend_from_slice(bytes);
    }

    fn op(&mut self, op: u8) {
        self.raw(&[op]);
    }

    /// Closes the open frame: fills in its header, or removes the header of a frame
    /// too short to carry one.
    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else {
            return;
        };
        let len = self.out.len() - start - FRAME_HEADER;
        if len >= FRAME_MIN {
            self.out[start] = 0x95;
            self.out[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER);
        }
    }

    /// What CPython does before saving each object: close a frame that has reached
    /// the target size.
    fn boundary(&mut self) {
        if let Some(start) = self.frame_start {
            if self.out.len() - start - FRAME_HEADER >= FRAME_TARGET {
                self.commit_frame();
            }
        }
    }

    fn memoize(&mut self) -> Result<u64, WriteError> {
        let index = self.memo_len;
        if index > u64::from(u32::MAX) {
            return Err(WriteError(
                "more objects than a pickle memo can index".into(),
            ));
        }
        self.op(0x94);
        self.memo_len += 1;
        Ok(index)
    }

    fn memo_get(&mut self, index: u64) {
        match u8::try_from(index) {
            Ok(i) => self.raw(&[b'h', i]),
            Err(_) => {
                let mut b = [b'j', 0, 0, 0, 0];
                // `memoize` never hands out an index beyond u32.
                b[1..].copy_from_slice(&(index as u32).to_le_bytes());
                self.raw(&b);
            }
        }
    }

    /// An empty dict / list / set opcode, memoized.
    fn empty_container(&mut self, op: u8) -> Result<(), WriteError> {
        self.op(op);
        self.memoize().map(drop)
    }

    /// Saves a string (a reference to an equal one already written).
    fn save_str(&mut self, s: &'a str) -> Result<(), WriteError> {
        self.boundary();
        if let Some(&index) = self.strings.get(s) {
            self.memo_get(index);
            return Ok(());
        }
        let data = s.as_bytes();
        let mut header = Vec::with_capacity(FRAME_HEADER);
        if data.len() <= 0xff {
            header.extend_from_slice(&[0x8c, data.len() as u8]);
        } else if let Ok(n) = u32::try_from(data.len()) {
            header.push(b'X');
            header.extend_from_slice(&n.to_le_bytes());
        } else {
            header.push(0x8d);
            header.extend_from_slice(&(data.len() as u64).to_le_bytes());
        }
        if data.len() >= FRAME_TARGET {
            // Large payloads go outside frames (CPython's `_Pickler_write_bytes`).
            self.commit_frame();
            self.framing = false;
            self.raw(&header);
            self.raw(data);
            self.framing = true;
        } else {
            self.raw(&header);
            self.raw(data);
        }
        let index = self.memoize()?;
        self.strings.insert(s, index);
        Ok(())
    }

    /// `cls.__new__(cls)`: the class (a `STACK_GLOBAL`, or a reference to it), an empty
    /// tuple and `NEWOBJ`, memoized. The caller saves the state and writes `BUILD`.
    fn new_object(&mut self, module: &'static str, name: &'static str) -> Result<(), WriteError> {
        self.boundary();
        if let Some(&index) = self.classes.get(name) {
            self.memo_get(index);
        } else {
            self.save_str(module)?;
            self.save_str(name)?;
            self.op(0x93);
            let index = self.memoize()?;
            self.classes.insert(name, index);
        }
        self.boundary();
        self.op(b')');
        self.op(0x81);
        self.memoize().map(drop)
    }

    /// Fills the container on the stack from `items`, in CPython's batches. Dicts
    /// (`is_dict`) write a trailing empty batch after a full one; lists do not.
    fn batched<'b, T>(
        &mut self,
        items: &'b [T],
        many: u8,
        one: u8,
        is_dict: bool,
        mut save: impl FnMut(&mut Self, &'b T) -> Result<(), WriteError>,
    ) -> Result<(), WriteError> {
        match items.len() {
            0 => return Ok(()),
            1 => {
                save(self, &items[0])?;
                self.op(one);
                return Ok(());
            }
            _ => {}
        }
        let mut chunks = items.chunks(BATCH).peekable();
        while let Some(chunk) = chunks.next() {
            self.op(b'(');
            for item in chunk {
                save(self, item)?;
            }
            self.op(many);
            if is_dict && chunks.peek().is_none() && chunk.len() == BATCH {
                self.op(b'(');
                self.op(many);
            }
        }
        Ok(())
    }

    /// A pydantic-v2 `Document`: `NEWOBJ`, its `__getstate__` dict, `BUILD`.
    fn document(&mut self, doc: &'a Document) -> Result<(), WriteError> {
        self.new_object(DOCUMENT_MODULE, DOCUMENT_CLASS)?;
        self.boundary();
        self.empty_container(b'}')?;
        self.op(b'(');
        self.save_str("__dict__")?;
        self.boundary();
        self.empty_container(b'}')?;
        self.op(b'(');
        self.save_str("id")?;
        match &doc.id {
            Some(id) => self.save_str(id)?,
            None => self.none(),
        }
        self.save_str("metadata")?;
        self.metadata(&doc.metadata, 0)?;
        self.save_str("page_content")?;
        self.save_str(&doc.page_content)?;
        self.save_str("type")?;
        self.save_str(DOCUMENT_CLASS)?;
        self.op(b'u');
        self.save_str("__pydantic_extra__")?;
        self.none();
        self.save_str("__pydantic_fields_set__")?;
        self.boundary();
        self.empty_container(0x8f)?;
        self.op(b'(');
        for field in ["id", "page_content", "metadata"] {
            self.save_str(field)?;
        }
        self.op(0x90);
        self.save_str("__pydantic_private__")?;
        self.none();
        self.op(b'u');
        self.op(b'b');
        Ok(())
    }

    fn none(&mut self) {
        self.boundary();
        self.op(b'N');
    }

    fn metadata(&mut self, map: &'a Metadata, depth: usize) -> Result<(), WriteError> {
        self.boundary();
        self.empty_container(b'}')?;
        let pairs: Vec<(&'a String, &'a Value)> = map.iter().collect();
        self.batched(&pairs, b'u', b's', true, |w, (k, v)| {
            w.save_str(k)?;
            w.value(v, depth + 1)
        })
    }

    /// A metadata value at `depth` (the metadata dict itself is depth 0).
    fn value(&mut self, v: &'a Value, depth: usize) -> Result<(), WriteError> {
        if depth > MAX_DEPTH {
            return Err(WriteError(format!(
                "metadata nested deeper than {MAX_DEPTH} levels"
            )));
        }
        match v {
            Value::Null => self.none(),
            Value::Bool(b) => {
                self.boundary();
                self.op(if *b { 0x88 } else { 0x89 });
            }
            Value::Number(n) => {
                self.boundary();
                if let Some(i) = n.as_i64() {
                    self.int_i64(i);
                } else if let Some(u) = n.as_u64() {
                    self.int_u64(u);
                } else {
                    // serde_json numbers are i64, u64 or finite f64.
                    let f = n.as_f64().unwrap_or(0.0);
                    let mut b = [b'G'; 9];
                    b[1..].copy_from_slice(&f.to_be_bytes());
                    self.raw(&b);
                }
            }
            Value::String(s) => self.save_str(s)?,
            Value::Array(items) => {
                self.boundary();
                self.empty_container(b']')?;
                self.batched(items, b'e', b'a', false, |w, x| w.value(x, depth + 1))?;
            }
            Value::Object(map) => self.metadata(map, depth)?,
        }
        Ok(())
    }

    fn int_u64(&mut self, u: u64) {
        match i64::try_from(u) {
            Ok(i) => self.int_i64(i),
            Err(_) => self.long1(&u.to_le_bytes(), false),
        }
    }

    /// CPython's `save_long`: `BININT1`/`BININT2`/`BININT` within i32, else `LONG1`.
    fn int_i64(&mut self, i: i64) {
        if let Ok(small) = i32::try_from(i) {
            let b = small.to_le_bytes();
            if b[2] != 0 || b[3] != 0 {
                self.raw(&[b'J', b[0], b[1], b[2], b[3]]);
            } else if b[1] != 0 {
                self.raw(&[b'M', b[0], b[1]]);
            } else {
                self.raw(&[b'K', b[0]]);
            }
        } else {
            self.long1(&i.to_le_bytes(), i < 0);
        }
    }

    /// `LONG1` with the shortest two's-complement little-endian bytes of the value
    /// whose 8 low bytes are `le` (`negative`: sign-extended, else zero-extended).
    fn long1(&mut self, le: &[u8; 8], negative: bool) {
        let mut bytes = le.to_vec();
        if !negative && bytes[7] & 0x80 != 0 {
            bytes.push(0);
        }
        while bytes.len() > 1 {
            let last = bytes[bytes.len() - 1];
            let prev_sign = bytes[bytes.len() - 2] & 0x80 != 0;
            if (last == 0 && !prev_sign) || (last == 0xff && prev_sign) {
                bytes.pop();
            } else {
                break;
            }
        }
        let mut out = vec![0x8a, bytes.len() as u8];
        out.extend_from_slice(&bytes);
        self.raw(&out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long1_of(i: i64) -> Vec<u8> {
        let mut w = Writer::default();
        w.int_i64(i);
        w.out
    }

    #[test]
    fn integers_take_cpythons_shortest_opcode() {
        assert_eq!(long1_of(1), [b'K', 1]);
        assert_eq!(long1_of(300), [b'M', 0x2c, 1]);
        assert_eq!(long1_of(-7), [b'J', 0xf9, 0xff, 0xff, 0xff]);
        assert_eq!(long1_of(1 << 40), [0x8a, 6, 0, 0, 0, 0, 0, 1]);
        // -(2**39) is its own 256's complement in 5 bytes.
        assert_eq!(long1_of(-(1 << 39)), [0x8a, 5, 0, 0, 0, 0, 0x80]);
        assert_eq!(long1_of(i64::MIN), [0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80]);
        let mut w = Writer::default();
        w.int_u64(u64::MAX);
        assert_eq!(
            w.out,
            [0x8a, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]
        );
    }

    #[test]
    fn too_deep_metadata_is_refused_not_a_stack_overflow() {
        let nested = |levels: usize| {
            let mut v = Value::Null;
            for _ in 0..levels {
                v = Value::Array(vec![v]);
            }
            v
        };
        let store_with = |v: Value| {
            let doc = Document::new("x").with_id("a").with_field("deep", v);
            InMemoryDocstore::from_pairs([("a".to_string(), doc)]).unwrap()
        };
        let ids = ["a".to_string()];
        let err = write_langchain_pickle(&store_with(nested(500)), &ids).unwrap_err();
        assert!(err.0.contains("deeper"), "{err:?}");
        // The deepest value the reader accepts is written.
        assert!(write_langchain_pickle(&store_with(nested(MAX_DEPTH - 1)), &ids).is_ok());
    }
}
