//! The embedders' golden ops (`embed`, `fnv1a64`) and the `embedding` spec of case files.
//! The store's runner includes this file too: for `embedding` specs, and for cases that
//! mix these ops with store ops.

use std::sync::Arc;

use ferrofaiss_embeddings::{fnv1a64, Embeddings, FakeEmbeddings, TrigramEmbeddings};
use ferrofaiss_golden::{f64s_at, floats_at, CaseCtx, Fields, Op, Status};

/// Runs one embeddings op.
pub fn run_op(_ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
    match op.kind.as_str() {
        "embed" => embed(op),
        "fnv1a64" => fnv(op),
        other => Err(format!(
            "unknown op kind {other:?}: the embeddings runner must learn it"
        )),
    }
}

/// The embedder an `embedding` spec names (`{"kind": "fake"}`, `{"kind": "trigram",
/// "dim": 64, "normalize": true}`).
pub fn embedder_of(spec: &Fields<'_>) -> Result<Arc<dyn Embeddings>, String> {
    match spec.opt_str("kind")? {
        Some("fake") => Ok(Arc::new(FakeEmbeddings::new())),
        Some("trigram") => Ok(Arc::new(trigram_of(spec)?)),
        other => Err(format!("unknown embedder {other:?}")),
    }
}

fn trigram_of(spec: &Fields<'_>) -> Result<TrigramEmbeddings, String> {
    let dim = spec.opt_usize("dim")?.unwrap_or(64);
    let normalize = spec.opt_bool("normalize")?.unwrap_or(true);
    TrigramEmbeddings::new(dim, normalize).map_err(|e| e.to_string())
}

fn embed(op: &Op) -> Result<Status, String> {
    let f = op.fields();
    let spec = f.sub("embedding");
    let embedder = embedder_of(&spec)?;
    let texts = f.strings("texts")?;
    let got = embedder
        .embed_documents(&texts)
        .map_err(|e| e.to_string())?;
    let expect = op.expect()?;
    let want = expect.items("vectors_f32")?;
    if got.len() != want.len() {
        return Err(format!("{} vectors, LangChain {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let w = floats_at(w.value(), w.path())?;
        if g != &w {
            return Err(format!("vector {i} differs"));
        }
    }
    // The trigram embedder also exposes its float64 vectors: compare them exactly.
    if spec.opt_str("kind")? == Some("trigram") {
        let trigram = trigram_of(&spec)?;
        let want = expect.items("vectors_f64")?;
        for (i, (text, w)) in texts.iter().zip(&want).enumerate() {
            let w = f64s_at(w.value(), w.path())?;
            if trigram.embed_f64(text) != w {
                return Err(format!("float64 vector {i} differs"));
            }
        }
    }
    Ok(Status::Pass)
}

fn fnv(op: &Op) -> Result<Status, String> {
    let inputs = op.fields().strings("inputs")?;
    let want = op.expect()?.strings("hashes")?;
    let got: Vec<String> = inputs
        .iter()
        .map(|s| fnv1a64(s.as_bytes()).to_string())
        .collect();
    if got == want {
        Ok(Status::Pass)
    } else {
        Err(format!("hashes {got:?}, LangChain {want:?}"))
    }
}
