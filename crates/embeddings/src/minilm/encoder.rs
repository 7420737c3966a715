//! The BERT forward pass over a batch of token sequences packed end to end (no padding:
//! the dense layers see only real tokens; attention runs per sequence), then mean
//! pooling and L2 normalisation as sentence-transformers does.

use candle_core::{Device, Tensor};
use rayon::prelude::*;

use super::config::BertConfig;
use super::error::MiniLmError;
use super::kernels::{add_bias, add_bias_gelu, add_layer_norm, scaled_softmax_rows};
use super::weights::{BertWeights, Dense};

fn inference(e: candle_core::Error) -> MiniLmError {
    MiniLmError::Inference(e.to_string())
}

/// `x · w` for `x` with `rows` rows, through candle's (multi-threaded) gemm.
fn matmul(x: &[f32], rows: usize, w: &Tensor) -> Result<Vec<f32>, MiniLmError> {
    let inp = x.len() / rows.max(1);
    let xt = Tensor::from_slice(x, (rows, inp), &Device::Cpu).map_err(inference)?;
    xt.matmul(w)
        .and_then(|y| y.flatten_all())
        .and_then(|y| y.to_vec1::<f32>())
        .map_err(inference)
}

/// `x · w + b`.
fn dense(x: &[f32], rows: usize, d: &Dense) -> Result<Vec<f32>, MiniLmError> {
    let mut y = matmul(x, rows, &d.w)?;
    add_bias(&mut y, &d.b);
    Ok(y)
}

/// Sentence embeddings of `seqs` (token ids, special tokens included, each non-empty
/// and no longer than the position table): last hidden states mean-pooled over each
/// sequence's tokens and L2-normalised.
pub fn embed_sequences(
    config: &BertConfig,
    w: &BertWeights,
    seqs: &[Vec<u32>],
) -> Result<Vec<Vec<f32>>, MiniLmError> {
    let h = config.hidden_size;
    let spans = spans(seqs);
    let rows = spans.last().map_or(0, |&(o, l)| o + l);
    if rows == 0 {
        return Ok(Vec::new());
    }
    let mut x = embed_tokens(config, w, seqs, &spans)?;
    for layer in &w.layers {
        let qkv = dense_blocks(&x, h, &layer.qkv)?;
        let ctx = attention(config, &qkv, &spans)?;
        drop(qkv);
        x = block_rows(&ctx, h, h, |ctx_block, first_row| {
            let mut attn = dense(ctx_block, ctx_block.len() / h, &layer.attn_out)?;
            let residual = &x[first_row * h..first_row * h + attn.len()];
            add_layer_norm(
                &mut attn,
                residual,
                &layer.attn_norm.gamma,
                &layer.attn_norm.beta,
                config.layer_norm_eps,
            );
            Ok(attn)
        })?;
        x = block_rows(&x, h, h, |x_block, _| {
            let rows = x_block.len() / h;
            let mut inner = matmul(x_block, rows, &layer.ffn_in.w)?;
            add_bias_gelu(&mut inner, &layer.ffn_in.b);
            let mut out = dense(&inner, rows, &layer.ffn_out)?;
            add_layer_norm(
                &mut out,
                x_block,
                &layer.ffn_norm.gamma,
                &layer.ffn_norm.beta,
                config.layer_norm_eps,
            );
            Ok(out)
        })?;
    }
    Ok(spans
        .iter()
        .map(|&(o, l)| mean_pool_normalize(&x[o * h..(o + l) * h], h))
        .collect())
}

/// Rows per block of the dense layers: large enough for efficient matmuls, small
/// enough that the feed-forward intermediate (`rows * intermediate_size` floats) stays
/// in a few MiB, which the allocator reuses instead of mapping fresh zeroed pages for
/// every layer.
const BLOCK_ROWS: usize = 1024;

/// Applies `f` to consecutive blocks of at most [`BLOCK_ROWS`] rows of `x` (row width
/// `width`), passing each block and its first row; concatenates the outputs (rows of
/// width `out_width`).
fn block_rows(
    x: &[f32],
    width: usize,
    out_width: usize,
    mut f: impl FnMut(&[f32], usize) -> Result<Vec<f32>, MiniLmError>,
) -> Result<Vec<f32>, MiniLmError> {
    let rows = x.len() / width;
    let mut out = Vec::with_capacity(rows * out_width);
    for (i, block) in x.chunks(BLOCK_ROWS * width).enumerate() {
        out.extend_from_slice(&f(block, i * BLOCK_ROWS)?);
    }
    Ok(out)
}

/// [`dense`] over blocks of rows.
fn dense_blocks(x: &[f32], width: usize, d: &Dense) -> Result<Vec<f32>, MiniLmError> {
    let out_width = d.b.len();
    block_rows(x, width, out_width, |block, _| {
        dense(block, block.len() / width, d)
    })
}

/// `(first row, length)` of each sequence in the packed buffer.
fn spans(seqs: &[Vec<u32>]) -> Vec<(usize, usize)> {
    let mut offset = 0;
    seqs.iter()
        .map(|s| {
            let span = (offset, s.len());
            offset += s.len();
            span
        })
        .collect()
}

/// Word + position + token-type-0 embeddings, layer-normed.
fn embed_tokens(
    config: &BertConfig,
    w: &BertWeights,
    seqs: &[Vec<u32>],
    spans: &[(usize, usize)],
) -> Result<Vec<f32>, MiniLmError> {
    let h = config.hidden_size;
    let rows = spans.last().map_or(0, |&(o, l)| o + l);
    let mut x = vec![0.0f32; rows * h];
    for (seq, &(o, _)) in seqs.iter().zip(spans) {
        if seq.len() > config.max_position_embeddings {
            return Err(MiniLmError::Inference(format!(
                "sequence of {} tokens exceeds the {} positions of the model",
                seq.len(),
                config.max_position_embeddings
            )));
        }
        for (p, &id) in seq.iter().enumerate() {
            let id = id as usize;
            if id >= config.vocab_size {
                return Err(MiniLmError::Inference(format!(
                    "token id {id} outside the vocabulary of {} (tokenizer and model do not match)",
                    config.vocab_size
                )));
            }
            let row = &mut x[(o + p) * h..(o + p + 1) * h];
            let word = &w.word[id * h..(id + 1) * h];
            let pos = &w.position[p * h..(p + 1) * h];
            for (((v, a), b), c) in row.iter_mut().zip(word).zip(pos).zip(&w.token_type0) {
                *v = a + b + c;
            }
        }
    }
    add_layer_norm(
        &mut x,
        &[],
        &w.embed_norm.gamma,
        &w.embed_norm.beta,
        config.layer_norm_eps,
    );
    Ok(x)
}

/// Multi-head self-attention of each sequence over its own tokens; `qkv` holds each
/// token's query, key and value side by side. Returns the concatenated head outputs.
fn attention(
    config: &BertConfig,
    qkv: &[f32],
    spans: &[(usize, usize)],
) -> Result<Vec<f32>, MiniLmError> {
    let h = config.hidden_size;
    let rows = spans.last().map_or(0, |&(o, l)| o + l);
    let mut ctx = vec![0.0f32; rows * h];
    // Split the output into each sequence's rows so tasks write disjoint slices.
    let mut outs: Vec<&mut [f32]> = Vec::with_capacity(spans.len());
    let mut rest = ctx.as_mut_slice();
    for &(_, l) in spans {
        let (head, tail) = rest.split_at_mut(l * h);
        outs.push(head);
        rest = tail;
    }
    outs.into_par_iter()
        .zip(spans.par_iter())
        .try_for_each(|(out, &(o, l))| {
            sequence_attention(config, &qkv[o * 3 * h..(o + l) * 3 * h], l, out)
        })?;
    Ok(ctx)
}

/// Attention of one sequence of `len` tokens, written into `out` (`[len, hidden]`).
fn sequence_attention(
    config: &BertConfig,
    qkv: &[f32],
    len: usize,
    out: &mut [f32],
) -> Result<(), MiniLmError> {
    let h = config.hidden_size;
    let heads = config.num_attention_heads;
    let d = config.head_size();
    // Per head: Q as [len, d], K transposed as [d, len], V as [len, d].
    let mut q = vec![0.0f32; heads * len * d];
    let mut kt = vec![0.0f32; heads * d * len];
    let mut v = vec![0.0f32; heads * len * d];
    for t in 0..len {
        let row = &qkv[t * 3 * h..(t + 1) * 3 * h];
        for hd in 0..heads {
            for j in 0..d {
                let c = hd * d + j;
                q[(hd * len + t) * d + j] = row[c];
                kt[(hd * d + j) * len + t] = row[h + c];
                v[(hd * len + t) * d + j] = row[2 * h + c];
            }
        }
    }
    let dev = &Device::Cpu;
    let qt = Tensor::from_vec(q, (heads, len, d), dev).map_err(inference)?;
    let ktt = Tensor::from_vec(kt, (heads, d, len), dev).map_err(inference)?;
    let mut scores = qt
        .matmul(&ktt)
        .and_then(|s| s.flatten_all())
        .and_then(|s| s.to_vec1::<f32>())
        .map_err(inference)?;
    scaled_softmax_rows(&mut scores, len, 1.0 / (d as f32).sqrt());
    let p = Tensor::from_vec(scores, (heads, len, len), dev).map_err(inference)?;
    let vt = Tensor::from_vec(v, (heads, len, d), dev).map_err(inference)?;
    let c = p
        .matmul(&vt)
        .and_then(|c| c.flatten_all())
        .and_then(|c| c.to_vec1::<f32>())
        .map_err(inference)?;
    for hd in 0..heads {
        for t in 0..len {
            out[t * h + hd * d..t * h + (hd + 1) * d]
                .copy_from_slice(&c[(hd * len + t) * d..(hd * len + t + 1) * d]);
        }
    }
    Ok(())
}

/// Mean of the rows of `x` (width `h`), divided by its L2 norm (at least 1e-12, as
/// `torch.nn.functional.normalize`).
fn mean_pool_normalize(x: &[f32], h: usize) -> Vec<f32> {
    let n = (x.len() / h) as f64;
    let mut mean = vec![0.0f64; h];
    for row in x.chunks_exact(h) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += f64::from(v);
        }
    }
    for m in &mut mean {
        *m /= n;
    }
    let norm = mean.iter().map(|m| m * m).sum::<f64>().sqrt().max(1e-12);
    mean.iter().map(|m| (m / norm) as f32).collect()
}
