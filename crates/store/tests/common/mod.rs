//! What several of the store's test files share (each uses part of it).
#![allow(dead_code)]

use ferrofaiss_embeddings::{EmbedFuture, Embeddings};

/// The LangChain fixture generator's `CountEmbeddings` (also defined, identically, by the
/// round-trip script in `tests/python/`): `[len, count('a'), count('e'), count(' ')]`.
pub struct CountEmbeddings;

fn count(text: &str) -> Vec<f32> {
    let n = |c: char| text.chars().filter(|&x| x == c).count() as f32;
    vec![text.chars().count() as f32, n('a'), n('e'), n(' ')]
}

impl Embeddings for CountEmbeddings {
    fn aembed_documents<'a>(&'a self, texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Ok(texts.iter().map(|t| count(t)).collect()) })
    }
    fn aembed_query<'a>(&'a self, text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Ok(count(text)) })
    }
    fn name(&self) -> String {
        "count".into()
    }
}

/// The `n` rows Faiss returns from `(row, vector)` candidates offered in row order, best
/// first, with f64 scores, following the streaming model of spec §4.3: L2 is a sort by
/// (distance, row); inner product keeps a set of `n` rows where a later row only evicts
/// the (lowest similarity, lowest row) member when it is strictly more similar, and
/// outputs by (similarity, row) descending. Scores compare as Faiss's `<` and `>` do:
/// `-0.0` equals `0.0` (an inner product with a zero query is `-0.0` for a row of
/// negative coordinates, and ties with `0.0` in Faiss).
pub fn faiss_top(cands: &[(usize, &[f32])], q: &[f32], n: usize, ip: bool) -> Vec<(usize, f64)> {
    let score = |v: &[f32]| -> f64 {
        // `+ 0.0` turns `-0.0` into `0.0`, so `total_cmp` below sees the tie Faiss sees.
        0.0 + if ip {
            v.iter()
                .zip(q)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum::<f64>()
        } else {
            v.iter()
                .zip(q)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
        }
    };
    if !ip {
        let mut all: Vec<(usize, f64)> = cands.iter().map(|(r, v)| (*r, score(v))).collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        return all;
    }
    let mut kept: Vec<(usize, f64)> = Vec::new();
    for (row, v) in cands {
        let s = score(v);
        if kept.len() < n {
            kept.push((*row, s));
            continue;
        }
        let (at, worst) = kept
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(a.1 .0.cmp(&b.1 .0)))
            .map(|(i, r)| (i, *r))
            .unwrap();
        if s > worst.1 {
            kept[at] = (*row, s);
        }
    }
    kept.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    kept
}
