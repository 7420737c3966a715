//! The text crate's golden ops: `split_text`, `split_documents`, `splitter_init`,
//! `split_file` and `load_text`. The store's runner includes this file too, for cases
//! that mix these ops with store ops.

use ferrofaiss_docstore::Document;
use ferrofaiss_golden::{
    compare_docs, hex, with_current_dir, workspace_root, CaseCtx, DocView, Fields, Op, Status,
};
use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator, SplitWarning,
    SplitterError, TextLoader, TextSplitter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Runs one text op.
pub fn run_op(ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
    match op.kind.as_str() {
        "split_text" | "split_documents" | "splitter_init" | "split_file" => split(op),
        "load_text" => load_text(ctx, op),
        other => Err(format!(
            "unknown op kind {other:?}: the text runner must learn it"
        )),
    }
}

/// A `CharacterTextSplitter` from LangChain's keyword arguments: `Err` for a field of the
/// wrong shape, `Ok(Err)` when the splitter refuses them (as LangChain's constructor does).
pub fn splitter_of(
    spec: &Fields<'_>,
) -> Result<Result<CharacterTextSplitter, SplitterError>, String> {
    let mut o = CharacterTextSplitterOptions::default();
    if let Some(v) = spec.opt_str("separator")? {
        o.separator = v.to_string();
    }
    if let Some(v) = spec.opt_bool("is_separator_regex")? {
        o.is_separator_regex = v;
    }
    if let Some(v) = spec.opt_i64("chunk_size")? {
        o.chunk_size = v;
    }
    if let Some(v) = spec.opt_i64("chunk_overlap")? {
        o.chunk_overlap = v;
    }
    o.keep_separator = match spec.get("keep_separator") {
        Some(Value::String(s)) if s == "end" => KeepSeparator::End,
        Some(Value::Bool(true) | Value::String(_)) => KeepSeparator::Start,
        _ => KeepSeparator::Drop,
    };
    if let Some(v) = spec.opt_bool("add_start_index")? {
        o.add_start_index = v;
    }
    if let Some(v) = spec.opt_bool("strip_whitespace")? {
        o.strip_whitespace = v;
    }
    Ok(CharacterTextSplitter::new(o))
}

/// `documents`: `[{id?, page_content, metadata?}]`.
pub fn documents_of(f: &Fields<'_>, key: &str) -> Result<Vec<Document>, String> {
    serde_json::from_value(f.req(key)?.clone()).map_err(|e| format!("{}: {e}", f.path_of(key)))
}

/// `split_text`, `split_documents`, `splitter_init` and `split_file`.
fn split(op: &Op) -> Result<Status, String> {
    let f = op.fields();
    let expect = op.expect()?;
    let splitter = match splitter_of(&f.sub("splitter"))? {
        Ok(s) => s,
        Err(e) => {
            return match expect.opt_field("error")? {
                Some(err) if err.opt_str("message")? == Some(e.to_string().as_str()) => {
                    Ok(Status::Pass)
                }
                Some(err) => Err(format!("error {e}, LangChain {}", err.value())),
                None => Err(format!("splitter refused: {e}")),
            }
        }
    };
    if expect.has("error") {
        return Err(format!(
            "expected error {}, the splitter was built",
            expect.sub("error").value()
        ));
    }
    let lengths = |chunks: &[String]| {
        chunks
            .iter()
            .map(|c| c.chars().count() as u64)
            .collect::<Vec<_>>()
    };
    let want_lengths = match expect.get("chunk_lengths") {
        Some(_) => expect.u64s("chunk_lengths")?,
        None => Vec::new(),
    };
    match op.kind.as_str() {
        "splitter_init" => Ok(Status::Pass),
        "split_text" => {
            let split = splitter
                .split_text_with_warnings(f.str("text")?)
                .map_err(|e| e.to_string())?;
            compare_split_logs(&split.warnings, &expect)?;
            let chunks = split.chunks;
            let want = expect.strings("chunks")?;
            if chunks != want || lengths(&chunks) != want_lengths {
                return Err(format!("chunks {chunks:?}, LangChain {want:?}"));
            }
            Ok(Status::Pass)
        }
        "split_documents" => {
            let docs = documents_of(&f, "documents")?;
            let got = splitter.split_documents(&docs).map_err(|e| e.to_string())?;
            let want = documents_of(&expect, "docs")?;
            if got != want {
                return Err(format!("documents {got:?}, LangChain {want:?}"));
            }
            Ok(Status::Pass)
        }
        _ => {
            // The path is relative to the repository root, like the generator's.
            let path = f.str("path")?;
            let docs = with_current_dir(&workspace_root(), || TextLoader::new(path).load())?
                .map_err(|e| e.to_string())?;
            let text = docs
                .first()
                .map(|d| d.page_content.as_str())
                .unwrap_or_default();
            let split = splitter
                .split_text_with_warnings(text)
                .map_err(|e| e.to_string())?;
            compare_split_logs(&split.warnings, &expect)?;
            let chunks = split.chunks;
            let sha: Vec<String> = chunks
                .iter()
                .map(|c| hex(&Sha256::digest(c.as_bytes())))
                .collect();
            let first40: Vec<String> = chunks
                .iter()
                .map(|c| c.chars().take(40).collect())
                .collect();
            if Some(chunks.len() as u64) != expect.opt_u64("num_chunks")?
                || lengths(&chunks) != want_lengths
                || sha != expect.strings("chunk_sha256")?
                || (expect.has("chunk_first_40") && first40 != expect.strings("chunk_first_40")?)
            {
                return Err(format!(
                    "{} chunks {:?} differ from LangChain's",
                    chunks.len(),
                    lengths(&chunks)
                ));
            }
            Ok(Status::Pass)
        }
    }
}

/// The splitter's warnings against LangChain's recorded log records.
fn compare_split_logs(warnings: &[SplitWarning], expect: &Fields<'_>) -> Result<(), String> {
    let got: Vec<(String, String)> = warnings
        .iter()
        .map(|w| (w.logger().to_string(), w.to_string()))
        .collect();
    let want: Vec<(String, String)> = match expect.get("logs") {
        None => Vec::new(),
        Some(_) => expect
            .items("logs")?
            .iter()
            .map(|l| {
                Ok((
                    l.opt_str("logger")?.unwrap_or_default().to_string(),
                    l.opt_str("message")?.unwrap_or_default().to_string(),
                ))
            })
            .collect::<Result<_, String>>()?,
    };
    if got == want {
        Ok(())
    } else {
        Err(format!("split warnings {got:?}, LangChain logged {want:?}"))
    }
}

/// `TextLoader(file)` with the working directory set to the case folder (a scratch
/// copy), after writing the given bytes there.
fn load_text(ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
    let f = op.fields();
    let file = f.str("file")?;
    if let Some(hex) = f.opt_str("write_bytes_hex")? {
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return Err(format!("write_bytes_hex: {hex:?} is not hex bytes"));
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|e| format!("write_bytes_hex: {e}"))?;
        std::fs::write(ctx.workdir.join(file), bytes).map_err(|e| e.to_string())?;
    }
    let mut loader = TextLoader::new(file);
    if let Some(enc) = f.opt_str("encoding")? {
        loader = loader.with_encoding(enc);
    }
    let result = with_current_dir(&ctx.workdir, || loader.load())?;
    let expect = op.expect()?;
    match (result, expect.opt_field("error")?) {
        (Ok(docs), None) => {
            let views: Vec<DocView<'_>> = docs
                .iter()
                .map(|d| DocView {
                    id: d.id.as_deref(),
                    page_content: &d.page_content,
                    metadata: &d.metadata,
                })
                .collect();
            compare_docs(&mut ctx.gen, &views, &expect.sub("docs")).map(|()| Status::Pass)
        }
        (Ok(docs), Some(err)) => Err(format!("expected error {}, loaded {docs:?}", err.value())),
        (Err(e), Some(err)) => {
            let msg = err.opt_str("message")?.unwrap_or_default();
            if err.opt_str("type")? == Some("RuntimeError") && e.to_string().starts_with(msg) {
                Ok(Status::Pass)
            } else {
                Err(format!("error {e}, LangChain {}", err.value()))
            }
        }
        (Err(e), None) => Err(format!("unexpected error: {e}")),
    }
}
