//! The metadata index of exact filtered search: for each field a filter tests by
//! equality or membership, the rows holding each value, so a selective filter becomes a
//! row set without evaluating every document.
//!
//! Values are keyed by Python's hash key, under which two values are equal exactly when
//! Python's `==` says so (`1`, `1.0` and `true` are one value); a missing field is
//! `None`, as LangChain's `metadata.get(key)` reads it. A field whose every value is an
//! exact number also keeps its rows sorted by value, for `$gt` / `$gte` / `$lt` / `$lte`.
//! Only expressions that cannot raise are answered here (`==`, `!=`, membership in a
//! list of hashable values, orderings on such numeric fields, and `$and` / `$or` /
//! `$not` of those), so the row set is exactly what evaluating every document would
//! give; anything else is evaluated document by document.
//!
//! A field's rows are built on its first use and kept until the rows change: adding,
//! deleting and merging drop the index, and a loaded or cloned store starts without one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ferrofaiss_cpython::{hash_key, HashKey};
use ferrofaiss_docstore::{Comparison, Condition, FilterExpr, Metadata};
use serde_json::Value;

use crate::error::StoreError;

/// Reads row `r`'s metadata (for building a field's rows).
type ReadMetadata<'s> = dyn Fn(usize) -> Result<&'s Metadata, StoreError> + Sync + 's;

/// The most fields whose rows are kept at once (each costs about 4 bytes per row, 16
/// more for a numeric field).
const MAX_FIELDS: usize = 32;

/// Per-field row lists, built lazily (see the module docs).
#[derive(Default)]
pub(crate) struct MetadataIndex {
    fields: Mutex<HashMap<String, Arc<FieldRows>>>,
}

/// The rows of one field, by value.
struct FieldRows {
    /// Rows (ascending) whose value has each hash key; a missing field is `None`'s key.
    by_key: HashMap<HashKey, Vec<u32>>,
    /// Rows whose value is a list or a dict (Python cannot hash them).
    unhashable: usize,
    /// Every row's value with its row, sorted by value, when every row holds a number
    /// (or a bool) that an f64 represents exactly: then `<`, `<=`, `>`, `>=` against such
    /// a number cannot raise and are answered by binary search.
    numeric: Option<Vec<(f64, u32)>>,
}

/// The value of a number or bool as an f64 when that is exact (integers up to 2^53 in
/// magnitude, every float), so ordering it as f64 orders it as Python does.
fn exact_f64(value: &Value) -> Option<f64> {
    const EXACT: u64 = 1 << 53;
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                (i.unsigned_abs() <= EXACT).then_some(i as f64)
            } else if let Some(u) = n.as_u64() {
                (u <= EXACT).then_some(u as f64)
            } else {
                n.as_f64()
            }
        }
        _ => None,
    }
}

/// A set of rows `0..n` as bits.
#[derive(Clone)]
struct Rows {
    words: Vec<u64>,
    n: usize,
}

impl Rows {
    fn none(n: usize) -> Rows {
        Rows {
            words: vec![0; n.div_ceil(64)],
            n,
        }
    }

    fn all(n: usize) -> Rows {
        Rows::none(n).not()
    }

    fn of(list: &[u32], n: usize) -> Rows {
        let mut rows = Rows::none(n);
        rows.add(list);
        rows
    }

    fn add(&mut self, list: &[u32]) {
        for &r in list {
            self.words[r as usize / 64] |= 1 << (r % 64);
        }
    }

    fn and(mut self, other: &Rows) -> Rows {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= b);
        self
    }

    fn or(mut self, other: &Rows) -> Rows {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a |= b);
        self
    }

    fn not(mut self) -> Rows {
        self.words.iter_mut().for_each(|w| *w = !*w);
        if !self.n.is_multiple_of(64) {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << (self.n % 64)) - 1;
            }
        }
        self
    }
}

impl MetadataIndex {
    /// Drops every field's rows (the store's rows changed).
    pub(crate) fn clear(&mut self) {
        self.fields
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The rows `expr` selects among `n`, as bitmap words (row `r` is bit `r % 64` of
    /// word `r / 64`), when the index can answer it; `None` when the expression has a
    /// part only document-by-document evaluation gives. `metadata` reads a row's
    /// metadata, for building a field's rows on first use.
    pub(crate) fn select<'s>(
        &self,
        expr: &FilterExpr,
        n: usize,
        metadata: &ReadMetadata<'s>,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        // Rows are stored as u32; a store beyond that is evaluated document by document.
        if n > u32::MAX as usize || !answerable(expr) {
            return Ok(None);
        }
        Ok(self.rows(expr, n, metadata)?.map(|rows| rows.words))
    }

    fn rows<'s>(
        &self,
        expr: &FilterExpr,
        n: usize,
        metadata: &ReadMetadata<'s>,
    ) -> Result<Option<Rows>, StoreError> {
        Ok(match expr {
            FilterExpr::All(parts) => self.combine(parts, n, metadata, Rows::all(n), Rows::and)?,
            FilterExpr::Any(parts) => self.combine(parts, n, metadata, Rows::none(n), Rows::or)?,
            FilterExpr::Not(inner) => self.rows(inner, n, metadata)?.map(Rows::not),
            FilterExpr::Field { field, condition } => {
                let rows = self.field(field, n, metadata)?;
                condition_rows(&rows, condition, n)
            }
        })
    }

    /// `start` combined by `op` with the rows of each part, in order; `None` as soon as
    /// one part has no answer.
    fn combine<'s>(
        &self,
        parts: &[FilterExpr],
        n: usize,
        metadata: &ReadMetadata<'s>,
        start: Rows,
        op: fn(Rows, &Rows) -> Rows,
    ) -> Result<Option<Rows>, StoreError> {
        let mut acc = start;
        for part in parts {
            let Some(rows) = self.rows(part, n, metadata)? else {
                return Ok(None);
            };
            acc = op(acc, &rows);
        }
        Ok(Some(acc))
    }

    /// The rows of `field`, built on first use.
    fn field<'s>(
        &self,
        field: &str,
        n: usize,
        metadata: &ReadMetadata<'s>,
    ) -> Result<Arc<FieldRows>, StoreError> {
        if let Some(rows) = self.lock().get(field) {
            return Ok(Arc::clone(rows));
        }
        let mut by_key: HashMap<HashKey, Vec<u32>> = HashMap::new();
        let mut unhashable = 0;
        let mut numeric = Some(Vec::new());
        let missing = Value::Null;
        for row in 0..n {
            let value = metadata(row)?.get(field).unwrap_or(&missing);
            match hash_key(value) {
                Some(key) => by_key.entry(key).or_default().push(row as u32),
                None => unhashable += 1,
            }
            match (exact_f64(value), numeric.as_mut()) {
                (Some(x), Some(values)) => values.push((x, row as u32)),
                _ => numeric = None,
            }
        }
        if let Some(values) = numeric.as_mut() {
            values.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        let rows = Arc::new(FieldRows {
            by_key,
            unhashable,
            numeric,
        });
        let mut fields = self.lock();
        // Field names come from filters, which may come from users: keep at most
        // MAX_FIELDS fields' rows, starting over when full.
        if fields.len() >= MAX_FIELDS {
            fields.clear();
        }
        fields.insert(field.to_string(), Arc::clone(&rows));
        Ok(rows)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<FieldRows>>> {
        self.fields.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether every part of `expr` is one the index answers (checked before any field's
/// rows are built, so an unanswerable filter costs nothing here).
fn answerable(expr: &FilterExpr) -> bool {
    match expr {
        FilterExpr::All(parts) | FilterExpr::Any(parts) => parts.iter().all(answerable),
        FilterExpr::Not(inner) => answerable(inner),
        FilterExpr::Field { condition, .. } => match condition {
            Condition::Equals(x) => hash_key(x).is_some(),
            Condition::OneOf(items) => items.iter().all(|x| hash_key(x).is_some()),
            Condition::OneOfHashed(_) => true,
            Condition::Operators(comparisons) => comparisons.iter().all(|c| match c {
                Comparison::Eq(x) | Comparison::Neq(x) => hash_key(x).is_some(),
                Comparison::In(Value::Array(items)) | Comparison::Nin(Value::Array(items)) => {
                    items.iter().all(|x| hash_key(x).is_some())
                }
                Comparison::Gt(x) | Comparison::Gte(x) | Comparison::Lt(x) | Comparison::Lte(x) => {
                    exact_f64(x).is_some()
                }
                _ => false,
            }),
        },
    }
}

/// The rows whose value compares with `x` as `comparison` says, by binary search over
/// the field's sorted values; `None` when some row's value is not an exact number (the
/// comparison could raise, or order differently than f64 does).
fn ordered(field: &FieldRows, comparison: &Comparison, x: f64, n: usize) -> Option<Rows> {
    let values = field.numeric.as_ref()?;
    let below = values.partition_point(|(v, _)| *v < x);
    let up_to = values.partition_point(|(v, _)| *v <= x);
    let range = match comparison {
        Comparison::Gt(_) => up_to..values.len(),
        Comparison::Gte(_) => below..values.len(),
        Comparison::Lt(_) => 0..below,
        _ => 0..up_to,
    };
    let mut rows = Rows::none(n);
    for &(_, r) in &values[range] {
        rows.words[r as usize / 64] |= 1 << (r % 64);
    }
    Some(rows)
}

/// The rows of one field's condition (already known [`answerable`]); `None` for a
/// frozenset membership over a field holding lists or dicts, or an ordering over a
/// field not wholly numeric, which may raise in Python.
fn condition_rows(field: &FieldRows, condition: &Condition, n: usize) -> Option<Rows> {
    let equal = |x: &Value| -> Rows {
        let list = hash_key(x).and_then(|k| field.by_key.get(&k));
        Rows::of(list.map_or(&[][..], Vec::as_slice), n)
    };
    let one_of = |items: &[Value]| -> Rows {
        let mut rows = Rows::none(n);
        for x in items {
            if let Some(list) = hash_key(x).and_then(|k| field.by_key.get(&k)) {
                rows.add(list);
            }
        }
        rows
    };
    Some(match condition {
        Condition::Equals(x) => equal(x),
        Condition::OneOf(items) => one_of(items),
        Condition::OneOfHashed(set) => {
            if field.unhashable > 0 {
                return None;
            }
            one_of(set.values())
        }
        Condition::Operators(comparisons) => {
            let mut acc = Rows::all(n);
            for c in comparisons {
                let rows = match c {
                    Comparison::Eq(x) => equal(x),
                    Comparison::Neq(x) => equal(x).not(),
                    Comparison::In(Value::Array(items)) => one_of(items),
                    Comparison::Nin(Value::Array(items)) => one_of(items).not(),
                    Comparison::Gt(x)
                    | Comparison::Gte(x)
                    | Comparison::Lt(x)
                    | Comparison::Lte(x) => ordered(field, c, exact_f64(x)?, n)?,
                    _ => return None,
                };
                acc = acc.and(&rows);
            }
            acc
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrofaiss_docstore::Filter;
    use proptest::prelude::*;
    use serde_json::json;

    /// Values that Python's `==` mixes up on purpose: `1`, `1.0` and `true` are equal,
    /// `"1"` is not; lists cannot be hashed.
    fn value() -> impl Strategy<Value = Option<Value>> {
        prop::sample::select(vec![
            None,
            Some(json!(null)),
            Some(json!(1)),
            Some(json!(1.0)),
            Some(json!(true)),
            Some(json!(false)),
            Some(json!(0)),
            Some(json!(2.5)),
            Some(json!("1")),
            Some(json!("a")),
            Some(json!("b")),
            Some(json!([1])),
            Some(json!({"x": 1})),
        ])
    }

    fn metadata() -> impl Strategy<Value = Metadata> {
        (value(), value()).prop_map(|(f, g)| {
            let mut m = Metadata::new();
            if let Some(f) = f {
                m.insert("f".into(), f);
            }
            if let Some(g) = g {
                m.insert("g".into(), g);
            }
            m
        })
    }

    fn filter() -> impl Strategy<Value = Value> {
        let operand = prop::sample::select(vec![
            json!(null),
            json!(1),
            json!(1.0),
            json!(true),
            json!(0),
            json!("1"),
            json!("a"),
            json!(2.5),
            json!([1]),
        ]);
        let field = prop::sample::select(vec!["f", "g"]);
        let leaf = (
            field,
            operand.clone(),
            prop::collection::vec(operand, 0..13),
            0..10usize,
        )
            .prop_map(|(field, x, items, shape)| match shape {
                0 => json!({ field: x }),
                1 => json!({ field: items }),
                2 => json!({ field: {"$eq": x} }),
                3 => json!({ field: {"$neq": x} }),
                4 => json!({ field: {"$in": items} }),
                5 => json!({ field: {"$nin": items, "$neq": x} }),
                6 => json!({ field: {"$gt": x} }),
                7 => json!({ field: {"$lte": x, "$gte": 0} }),
                8 => json!({ field: {"$lt": x} }),
                _ => json!({ field: {"$gte": x, "$neq": 1} }),
            });
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$and": v})),
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$or": v})),
                inner.prop_map(|f| json!({"$not": f})),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whenever the index answers, its rows are exactly the rows whose documents
        /// pass the filter, and evaluating the filter on them raises nowhere.
        #[test]
        fn answers_equal_document_by_document_evaluation(
            rows in prop::collection::vec(metadata(), 0..70),
            json in filter(),
        ) {
            let Ok(filter) = Filter::from_json(&json) else { return Ok(()) };
            let expr = filter.expr().unwrap();
            let index = MetadataIndex::default();
            let read = |row: usize| Ok(&rows[row]);
            let Some(words) = index.select(expr, rows.len(), &read).unwrap() else {
                return Ok(());
            };
            for (row, metadata) in rows.iter().enumerate() {
                let bit = (words[row / 64] >> (row % 64)) & 1 == 1;
                prop_assert_eq!(bit, filter.matches(metadata).unwrap(), "row {} {:?}", row, metadata);
            }
            prop_assert!(words.len() == rows.len().div_ceil(64));
            if rows.len() % 64 != 0 {
                prop_assert_eq!(words.last().unwrap() >> (rows.len() % 64), 0);
            }
        }
    }

    fn numeric() -> impl Strategy<Value = Value> {
        prop::sample::select(vec![
            json!(0),
            json!(1),
            json!(1.0),
            json!(true),
            json!(false),
            json!(2.5),
            json!(-3),
            json!(-0.5),
            json!(9_007_199_254_740_992_i64),
            json!(9_007_199_254_740_993_i64),
            json!(1e300),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Orderings on a field of numbers (bools, floats, integers near 2^53) agree
        /// with Python's comparisons whenever the index answers them.
        #[test]
        fn orderings_on_numeric_fields_equal_evaluation(
            values in prop::collection::vec(numeric(), 0..70),
            x in numeric(),
            y in numeric(),
            shape in 0..4usize,
        ) {
            let rows: Vec<Metadata> = values
                .iter()
                .map(|v| json!({"g": v}).as_object().cloned().unwrap())
                .collect();
            let json = match shape {
                0 => json!({"g": {"$gt": x}}),
                1 => json!({"g": {"$gte": x, "$lt": y}}),
                2 => json!({"$not": {"g": {"$lte": x}}}),
                _ => json!({"$or": [{"g": {"$lt": x}}, {"g": y}]}),
            };
            let filter = Filter::from_json(&json).unwrap();
            let index = MetadataIndex::default();
            let read = |row: usize| Ok(&rows[row]);
            let Some(words) = index.select(filter.expr().unwrap(), rows.len(), &read).unwrap() else {
                return Ok(());
            };
            for (row, metadata) in rows.iter().enumerate() {
                let bit = (words[row / 64] >> (row % 64)) & 1 == 1;
                prop_assert_eq!(bit, filter.matches(metadata).unwrap(), "{} row {} {:?}", json, row, metadata);
            }
        }
    }

    #[test]
    fn orderings_need_a_wholly_numeric_field() {
        let rows: Vec<Metadata> = [json!({"g": 1}), json!({"g": 2}), json!({})]
            .iter()
            .map(|m| m.as_object().cloned().unwrap())
            .collect();
        let index = MetadataIndex::default();
        let read = |row: usize| Ok(&rows[row]);
        // The third document has no "g": `None > 0` raises in Python, so no answer.
        let f = Filter::from_json(&json!({"g": {"$gt": 0}})).unwrap();
        assert!(index.select(f.expr().unwrap(), 3, &read).unwrap().is_none());
        let both = &rows[..2];
        let read = |row: usize| Ok(&both[row]);
        let index = MetadataIndex::default();
        let words = index.select(f.expr().unwrap(), 2, &read).unwrap().unwrap();
        assert_eq!(words, vec![0b11]);
    }

    #[test]
    fn answerable_shapes_and_the_rest() {
        let f = |j: Value| Filter::from_json(&j).unwrap();
        for yes in [
            json!({"tenant": "t1"}),
            json!({"tenant": {"$in": ["t1", "t2"]}}),
            json!({"$or": [{"a": 1}, {"b": {"$neq": 2}}]}),
            json!({"$not": {"a": [1, 2, 3]}}),
        ] {
            assert!(answerable(f(yes.clone()).expr().unwrap()), "{yes}");
        }
        for no in [
            json!({"a": {"$gt": "b"}}),
            json!({"a": {"$in": "abc"}}),
            json!({"a": {"$eq": [1]}}),
            json!({"$and": [{"a": 1}, {"b": {"$lte": [3]}}]}),
        ] {
            assert!(!answerable(f(no.clone()).expr().unwrap()), "{no}");
        }
    }

    #[test]
    fn a_field_is_built_once_and_cleared() {
        let rows: Vec<Metadata> = (0..10)
            .map(|i| json!({"t": i % 3}).as_object().cloned().unwrap())
            .collect();
        let mut index = MetadataIndex::default();
        let read = |row: usize| Ok(&rows[row]);
        let expr = Filter::from_json(&json!({"t": 1})).unwrap();
        let words = index
            .select(expr.expr().unwrap(), 10, &read)
            .unwrap()
            .unwrap();
        assert_eq!(words, vec![0b0010010010]);
        assert_eq!(index.lock().len(), 1);
        index.clear();
        assert!(index.lock().is_empty());
    }
}
