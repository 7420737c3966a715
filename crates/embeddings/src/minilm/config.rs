//! `config.json` of a BERT encoder: read, checked, and reduced to what inference needs.

use std::path::Path;

use serde_json::Value;

use super::error::MiniLmError;

/// The shape of a BERT encoder, from its Hugging Face `config.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    /// Tokens in the vocabulary (rows of the word embedding).
    pub vocab_size: usize,
    /// Width of the hidden states (the vector dimension).
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer (`hidden_size` is a multiple of it).
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Longest sequence the position embeddings cover.
    pub max_position_embeddings: usize,
    /// Rows of the token-type embedding.
    pub type_vocab_size: usize,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f32,
}

impl BertConfig {
    /// Reads and checks `path`.
    ///
    /// # Errors
    /// [`MiniLmError::MissingFile`], [`MiniLmError::CorruptFile`] (not JSON, a field
    /// missing or out of range), [`MiniLmError::UnsupportedArchitecture`] (not a BERT
    /// encoder with absolute positions and the exact GELU).
    pub fn read(path: &Path) -> Result<Self, MiniLmError> {
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => MiniLmError::MissingFile {
                path: path.to_path_buf(),
            },
            _ => corrupt(path, e.to_string()),
        })?;
        let json: Value =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
        Self::from_json(path, &json)
    }

    fn from_json(path: &Path, json: &Value) -> Result<Self, MiniLmError> {
        if !json.is_object() {
            return Err(corrupt(path, "not a JSON object".into()));
        }
        check_architecture(path, json)?;
        let size = |key: &str| -> Result<usize, MiniLmError> {
            json.get(key)
                .and_then(Value::as_u64)
                .filter(|&v| v > 0)
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| corrupt(path, format!("`{key}` must be a positive integer")))
        };
        let config = Self {
            vocab_size: size("vocab_size")?,
            hidden_size: size("hidden_size")?,
            num_hidden_layers: size("num_hidden_layers")?,
            num_attention_heads: size("num_attention_heads")?,
            intermediate_size: size("intermediate_size")?,
            max_position_embeddings: size("max_position_embeddings")?,
            type_vocab_size: size("type_vocab_size")?,
            layer_norm_eps: json
                .get("layer_norm_eps")
                .and_then(Value::as_f64)
                .filter(|e| e.is_finite() && *e >= 0.0)
                .map(|e| e as f32)
                .ok_or_else(|| {
                    corrupt(path, "`layer_norm_eps` must be a number >= 0".to_string())
                })?,
        };
        if !config
            .hidden_size
            .is_multiple_of(config.num_attention_heads)
        {
            return Err(corrupt(
                path,
                format!(
                    "hidden_size {} is not a multiple of num_attention_heads {}",
                    config.hidden_size, config.num_attention_heads
                ),
            ));
        }
        // Bound the sizes so a hostile config cannot ask for absurd allocations before
        // the weights are even checked against it.
        let limits = [
            ("hidden_size", config.hidden_size, 1 << 14),
            ("intermediate_size", config.intermediate_size, 1 << 16),
            ("num_hidden_layers", config.num_hidden_layers, 256),
            ("vocab_size", config.vocab_size, 1 << 22),
            (
                "max_position_embeddings",
                config.max_position_embeddings,
                1 << 16,
            ),
        ];
        for (key, value, limit) in limits {
            if value > limit {
                return Err(corrupt(path, format!("`{key}` {value} exceeds {limit}")));
            }
        }
        Ok(config)
    }

    /// Width of one attention head.
    pub fn head_size(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

fn corrupt(path: &Path, reason: String) -> MiniLmError {
    MiniLmError::CorruptFile {
        path: path.to_path_buf(),
        reason,
    }
}

/// Accepts `model_type: "bert"` (or, without `model_type`, a `Bert*` architecture),
/// absolute position embeddings and the exact (erf) GELU.
fn check_architecture(path: &Path, json: &Value) -> Result<(), MiniLmError> {
    let model_type = json.get("model_type").and_then(Value::as_str);
    let architectures: Vec<&str> = json
        .get("architectures")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let is_bert = match model_type {
        Some(t) => t == "bert",
        None => architectures.iter().any(|a| a.starts_with("Bert")),
    };
    let unsupported = |what: String| MiniLmError::UnsupportedArchitecture {
        path: path.to_path_buf(),
        found: what,
    };
    if !is_bert {
        return Err(unsupported(format!(
            "model_type {:?} with architectures {:?}",
            model_type.unwrap_or("(none)"),
            architectures
        )));
    }
    let act = json.get("hidden_act").and_then(Value::as_str);
    if act != Some("gelu") {
        return Err(unsupported(format!(
            "a BERT with hidden_act {:?} (only \"gelu\" is supported)",
            act.unwrap_or("(none)")
        )));
    }
    match json.get("position_embedding_type").and_then(Value::as_str) {
        None | Some("absolute") => Ok(()),
        Some(other) => Err(unsupported(format!(
            "a BERT with position_embedding_type {other:?} (only \"absolute\" is supported)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minilm_json() -> Value {
        serde_json::json!({
            "architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": 384,
            "intermediate_size": 1536, "layer_norm_eps": 1e-12,
            "max_position_embeddings": 512, "model_type": "bert",
            "num_attention_heads": 12, "num_hidden_layers": 6,
            "position_embedding_type": "absolute", "type_vocab_size": 2,
            "vocab_size": 30522
        })
    }

    #[test]
    fn reads_minilm_shape() {
        let c = BertConfig::from_json(Path::new("c.json"), &minilm_json()).unwrap();
        assert_eq!(
            (c.hidden_size, c.head_size(), c.num_hidden_layers),
            (384, 32, 6)
        );
        assert_eq!(c.vocab_size, 30522);
    }

    #[test]
    fn refuses_other_architectures_and_bad_fields() {
        let p = Path::new("c.json");
        let mut gpt = minilm_json();
        gpt["model_type"] = "gpt2".into();
        gpt["architectures"] = serde_json::json!(["GPT2LMHeadModel"]);
        assert!(matches!(
            BertConfig::from_json(p, &gpt),
            Err(MiniLmError::UnsupportedArchitecture { .. })
        ));
        let mut relu = minilm_json();
        relu["hidden_act"] = "relu".into();
        assert!(matches!(
            BertConfig::from_json(p, &relu),
            Err(MiniLmError::UnsupportedArchitecture { .. })
        ));
        let mut heads = minilm_json();
        heads["num_attention_heads"] = 7.into();
        assert!(matches!(
            BertConfig::from_json(p, &heads),
            Err(MiniLmError::CorruptFile { .. })
        ));
        let mut missing = minilm_json();
        missing.as_object_mut().unwrap().remove("vocab_size");
        assert!(matches!(
            BertConfig::from_json(p, &missing),
            Err(MiniLmError::CorruptFile { .. })
        ));
        assert!(matches!(
            BertConfig::from_json(p, &serde_json::json!([1, 2])),
            Err(MiniLmError::CorruptFile { .. })
        ));
    }
}
