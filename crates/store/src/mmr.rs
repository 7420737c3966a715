//! Maximal marginal relevance, as `langchain_community.vectorstores.utils` computes it:
//! cosine similarities (0/0 and infinities become 0), the first maximum wins ties, and
//! `lambda_mult` is not range-checked.
//!
//! LangChain computes in numpy float32; here cosines and scores are f64. The recorded
//! LangChain selections agree with an f64 computation (the golden generator checks
//! this), and f64 resolves near-ties the way numpy's float32 does in the recorded
//! cases, where rounding cosines to f32 would turn them into exact ties.

/// Dot product of two f32 vectors in f64 (`n = min(len)`): the kernel's, exact
/// products in eight running sums at the CPU's vector width.
fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    flatl2_kernel::inner_product_f64(a, b)
}

/// Cosine similarity from a dot product and the two norms. A zero vector (0/0) or an
/// overflow gives 0, as LangChain's numpy version does.
fn cosine_of(dot: f64, norm_a: f64, norm_b: f64) -> f64 {
    let sim = dot / (norm_a * norm_b);
    if sim.is_finite() {
        sim
    } else {
        0.0
    }
}

/// Cosine similarity of two vectors in f64 (see [`cosine_of`]).
#[cfg(test)]
fn cosine_similarity(a: &[f32], b: &[f32]) -> f64 {
    cosine_of(dot_f64(a, b), dot_f64(a, a).sqrt(), dot_f64(b, b).sqrt())
}

/// Picks up to `k` of `candidates` by maximal marginal relevance to `query` and returns
/// their positions in selection order.
///
/// The first pick is the candidate most cosine-similar to the query. Each next pick
/// maximises `lambda_mult * sim(query, c) - (1 - lambda_mult) * max sim(c, selected)`;
/// on equal scores the earliest candidate wins. `k = 0` or no candidates give `[]`.
///
/// Each vector's norm is computed once; each pick costs one dot product per candidate
/// still unchosen; nothing is allocated per candidate.
pub fn maximal_marginal_relevance<V: AsRef<[f32]>>(
    query: &[f32],
    candidates: &[V],
    lambda_mult: f32,
    k: usize,
) -> Vec<usize> {
    let want = k.min(candidates.len());
    if want == 0 {
        return Vec::new();
    }
    let vector = |i: usize| candidates[i].as_ref();
    let norms: Vec<f64> = candidates
        .iter()
        .map(|c| dot_f64(c.as_ref(), c.as_ref()).sqrt())
        .collect();
    let query_norm = dot_f64(query, query).sqrt();
    let to_query: Vec<f64> = (0..candidates.len())
        .map(|i| cosine_of(dot_f64(query, vector(i)), query_norm, norms[i]))
        .collect();
    let first = argmax_first(&to_query);
    let mut selected = Vec::with_capacity(want);
    selected.push(first);
    let mut chosen = vec![false; candidates.len()];
    chosen[first] = true;
    // Largest similarity of each unchosen candidate to anything selected so far.
    let mut redundancy = vec![f64::NEG_INFINITY; candidates.len()];
    let lambda = f64::from(lambda_mult);
    let keep = 1.0 - lambda;
    let mut last = first;
    while selected.len() < want {
        let mut best = f64::NEG_INFINITY;
        let mut pick = None;
        for (i, (&q, r)) in to_query.iter().zip(redundancy.iter_mut()).enumerate() {
            if chosen[i] {
                continue;
            }
            let s = cosine_of(dot_f64(vector(i), vector(last)), norms[i], norms[last]);
            if s > *r {
                *r = s;
            }
            let score = lambda * q - keep * *r;
            if score > best || pick.is_none() {
                best = score;
                pick = Some(i);
            }
        }
        // At least one candidate is unchosen here, so a pick always exists.
        let Some(pick) = pick else { break };
        selected.push(pick);
        chosen[pick] = true;
        last = pick;
    }
    selected
}

/// Position of the first maximum (numpy's `argmax`).
fn argmax_first(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference written directly from the spec: the redundancy term is
    /// recomputed from scratch every round (the implementation keeps a running
    /// maximum).
    fn reference(query: &[f32], cands: &[Vec<f32>], lambda: f64, k: usize) -> Vec<usize> {
        let cos = |a: &[f32], b: &[f32]| {
            let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
            let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let s = dot / (na * nb);
            if s.is_finite() {
                s
            } else {
                0.0
            }
        };
        let n = k.min(cands.len());
        if n == 0 {
            return vec![];
        }
        let sq: Vec<f64> = cands.iter().map(|c| cos(query, c)).collect();
        let mut sel = vec![0];
        for i in 0..sq.len() {
            if sq[i] > sq[sel[0]] {
                sel[0] = i;
            }
        }
        while sel.len() < n {
            let mut best = f64::NEG_INFINITY;
            let mut pick = 0;
            for i in 0..cands.len() {
                if sel.contains(&i) {
                    continue;
                }
                let red = sel
                    .iter()
                    .map(|&j| cos(&cands[i], &cands[j]))
                    .fold(f64::NEG_INFINITY, f64::max);
                let s = lambda * sq[i] - (1.0 - lambda) * red;
                if s > best {
                    best = s;
                    pick = i;
                }
            }
            sel.push(pick);
        }
        sel
    }

    #[test]
    fn zero_vectors_have_zero_similarity() {
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(cosine_similarity(&[2.0, 0.0], &[3.0, 0.0]), 1.0);
    }

    #[test]
    fn near_ties_resolve_as_langchain_recorded() {
        // fake_normalize_l2: an unnormalized query against normalized vectors; every
        // second-round score is 0 up to rounding and LangChain picks position 2.
        let q: Vec<f32> = [[1.0f32; 9].as_slice(), &[0.0]].concat();
        let cands: Vec<Vec<f32>> = (0..4)
            .map(|i| {
                let mut v = [[1.0f32; 9].as_slice(), &[i as f32]].concat();
                let inv = 1.0f32 / v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter_mut().for_each(|x| *x *= inv);
                v
            })
            .collect();
        assert_eq!(
            maximal_marginal_relevance(&q, &cands, 0.5, 4),
            vec![0, 2, 1, 3]
        );
    }

    #[test]
    fn empty_inputs_and_k_zero() {
        let none: Vec<Vec<f32>> = vec![];
        assert!(maximal_marginal_relevance(&[1.0], &none, 0.5, 3).is_empty());
        assert!(maximal_marginal_relevance(&[1.0], &[vec![1.0]], 0.5, 0).is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn agrees_with_the_naive_reference(
            // Small integer coordinates give many exact ties, which exercises the
            // earliest-candidate-wins rule.
            cands in proptest::collection::vec(proptest::collection::vec(-3i8..4, 3), 0..8),
            query in proptest::collection::vec(-3i8..4, 3),
            lambda_idx in 0usize..5,
            k in 0usize..9,
        ) {
            let lambda = [0.0f32, 0.25, 0.5, 0.75, 1.0][lambda_idx];
            let cands: Vec<Vec<f32>> =
                cands.iter().map(|c| c.iter().map(|&x| x as f32).collect()).collect();
            let query: Vec<f32> = query.iter().map(|&x| x as f32).collect();
            let got = maximal_marginal_relevance(&query, &cands, lambda, k);
            let want = reference(&query, &cands, f64::from(lambda), k);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
