//! The encoder's weights, read from `model.safetensors` (memory-mapped) and checked
//! against `config.json`.

use std::path::Path;

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Tensor};

use super::config::BertConfig;
use super::error::MiniLmError;

/// A dense layer: `y = x · w + b`, with `w` stored `[in, out]` for the matmul.
pub struct Dense {
    /// `[in, out]`, contiguous.
    pub w: Tensor,
    /// `out` biases.
    pub b: Vec<f32>,
}

/// Scale and shift of a layer norm.
pub struct Norm {
    /// Scale (`weight`).
    pub gamma: Vec<f32>,
    /// Shift (`bias`).
    pub beta: Vec<f32>,
}

/// One transformer layer.
pub struct Layer {
    /// Query, key and value projections side by side: `[hidden, 3 * hidden]`.
    pub qkv: Dense,
    /// Projection of the attention output.
    pub attn_out: Dense,
    /// Layer norm after attention.
    pub attn_norm: Norm,
    /// Feed-forward expansion (followed by GELU).
    pub ffn_in: Dense,
    /// Feed-forward contraction.
    pub ffn_out: Dense,
    /// Layer norm after the feed-forward block.
    pub ffn_norm: Norm,
}

/// Every weight the encoder uses (the pooler is not used by sentence-transformers).
pub struct BertWeights {
    /// Word embeddings, `[vocab, hidden]` row-major.
    pub word: Vec<f32>,
    /// Position embeddings, `[max_positions, hidden]`.
    pub position: Vec<f32>,
    /// Token-type 0 embedding (single-segment input), `[hidden]`.
    pub token_type0: Vec<f32>,
    /// Layer norm of the embeddings.
    pub embed_norm: Norm,
    /// The transformer layers.
    pub layers: Vec<Layer>,
}

/// Reads tensors by name from the mapped file, checking shapes.
struct Reader<'a> {
    st: &'a MmapedSafetensors,
    path: &'a Path,
    prefix: &'static str,
}

impl Reader<'_> {
    fn corrupt(&self, reason: String) -> MiniLmError {
        MiniLmError::CorruptFile {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, MiniLmError> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .st
            .load(&full, &Device::Cpu)
            .map_err(|e| self.corrupt(format!("tensor {full}: {e}")))?;
        if t.dims() != shape {
            return Err(self.corrupt(format!(
                "tensor {full} has shape {:?}, config.json implies {shape:?}",
                t.dims()
            )));
        }
        t.to_dtype(DType::F32)
            .map_err(|e| self.corrupt(format!("tensor {full}: {e}")))
    }

    fn vec(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, MiniLmError> {
        let t = self.tensor(name, shape)?;
        t.flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| self.corrupt(format!("tensor {name}: {e}")))
    }

    /// A `[out, in]` PyTorch linear weight, transposed to `[in, out]`.
    fn dense(&self, name: &str, inp: usize, out: usize) -> Result<Dense, MiniLmError> {
        let w = self.tensor(&format!("{name}.weight"), &[out, inp])?;
        let w = w
            .t()
            .and_then(|t| t.contiguous())
            .map_err(|e| self.corrupt(format!("tensor {name}.weight: {e}")))?;
        Ok(Dense {
            w,
            b: self.vec(&format!("{name}.bias"), &[out])?,
        })
    }

    fn norm(&self, name: &str, width: usize) -> Result<Norm, MiniLmError> {
        Ok(Norm {
            gamma: self.vec(&format!("{name}.weight"), &[width])?,
            beta: self.vec(&format!("{name}.bias"), &[width])?,
        })
    }

    /// Query, key and value of one layer, fused into one `[hidden, 3 * hidden]` dense.
    fn qkv(&self, layer: &str, h: usize) -> Result<Dense, MiniLmError> {
        let parts = ["query", "key", "value"]
            .map(|p| self.dense(&format!("{layer}.attention.self.{p}"), h, h));
        let [q, k, v] = parts;
        let (q, k, v) = (q?, k?, v?);
        let w = Tensor::cat(&[&q.w, &k.w, &v.w], 1)
            .and_then(|t| t.contiguous())
            .map_err(|e| self.corrupt(format!("{layer} attention: {e}")))?;
        let b = [q.b, k.b, v.b].concat();
        Ok(Dense { w, b })
    }
}

impl BertWeights {
    /// Maps `path` and reads every weight `config` calls for.
    ///
    /// # Errors
    /// [`MiniLmError::MissingFile`]; [`MiniLmError::CorruptFile`] when the file is not
    /// safetensors, is truncated, or lacks a tensor or has one of the wrong shape.
    pub fn read(path: &Path, config: &BertConfig) -> Result<Self, MiniLmError> {
        if !path.is_file() {
            return Err(MiniLmError::MissingFile {
                path: path.to_path_buf(),
            });
        }
        // SAFETY: the mapping is read-only and lives only inside this function: every
        // tensor is copied out of it (`load` converts into owned storage) before it is
        // dropped. The file must not be truncated by another process meanwhile, the
        // usual contract of loading model files by mapping.
        let st = unsafe { MmapedSafetensors::new(path) }.map_err(|e| MiniLmError::CorruptFile {
            path: path.to_path_buf(),
            reason: format!("not a safetensors file: {e}"),
        })?;
        let prefix = if st.get("embeddings.word_embeddings.weight").is_ok() {
            ""
        } else {
            "bert."
        };
        let r = Reader {
            st: &st,
            path,
            prefix,
        };
        let h = config.hidden_size;
        let token_type = r.vec(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, h],
        )?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = format!("encoder.layer.{i}");
            let inter = config.intermediate_size;
            layers.push(Layer {
                qkv: r.qkv(&l, h)?,
                attn_out: r.dense(&format!("{l}.attention.output.dense"), h, h)?,
                attn_norm: r.norm(&format!("{l}.attention.output.LayerNorm"), h)?,
                ffn_in: r.dense(&format!("{l}.intermediate.dense"), h, inter)?,
                ffn_out: r.dense(&format!("{l}.output.dense"), inter, h)?,
                ffn_norm: r.norm(&format!("{l}.output.LayerNorm"), h)?,
            });
        }
        Ok(Self {
            word: r.vec("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: r.vec(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type0: token_type[..h].to_vec(),
            embed_norm: r.norm("embeddings.LayerNorm", h)?,
            layers,
        })
    }
}
