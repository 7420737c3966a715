//! Building splitter options from LangChain keyword arguments written as JSON, as in the
//! golden cases (`{"chunk_size": 1000, "chunk_overlap": 0, "keep_separator": "end"}`).

use serde_json::{Map, Value};

use super::character::CharacterTextSplitterOptions;
use super::error::SplitterError;
use super::recursive::RecursiveCharacterTextSplitterOptions;
use super::separator::KeepSeparator;

fn invalid(key: &str, message: impl Into<String>) -> SplitterError {
    SplitterError::InvalidOption {
        key: key.to_owned(),
        message: message.into(),
    }
}

fn as_object(kwargs: &Value) -> Result<&Map<String, Value>, SplitterError> {
    kwargs
        .as_object()
        .ok_or_else(|| invalid("<kwargs>", "expected a JSON object of keyword arguments"))
}

fn int(key: &str, v: &Value) -> Result<i64, SplitterError> {
    v.as_i64()
        .ok_or_else(|| invalid(key, format!("expected an integer, got {v}")))
}

fn boolean(key: &str, v: &Value) -> Result<bool, SplitterError> {
    v.as_bool()
        .ok_or_else(|| invalid(key, format!("expected a boolean, got {v}")))
}

fn string(key: &str, v: &Value) -> Result<String, SplitterError> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(key, format!("expected a string, got {v}")))
}

impl KeepSeparator {
    /// Reads LangChain's `keep_separator`: `false`, `true` (= `"start"`), `"start"` or
    /// `"end"`.
    pub fn from_json(value: &Value) -> Result<Self, SplitterError> {
        match value {
            Value::Bool(false) => Ok(Self::Drop),
            Value::Bool(true) => Ok(Self::Start),
            Value::String(s) if s == "start" => Ok(Self::Start),
            Value::String(s) if s == "end" => Ok(Self::End),
            other => Err(invalid(
                "keep_separator",
                format!("expected true, false, \"start\" or \"end\", got {other}"),
            )),
        }
    }
}

/// Sets one of the settings both splitters share; an unknown key is an error.
macro_rules! common_option {
    ($options:ident, $key:expr, $value:expr) => {
        match $key {
            "chunk_size" => $options.chunk_size = int($key, $value)?,
            "chunk_overlap" => $options.chunk_overlap = int($key, $value)?,
            "keep_separator" => $options.keep_separator = KeepSeparator::from_json($value)?,
            "add_start_index" => $options.add_start_index = boolean($key, $value)?,
            "strip_whitespace" => $options.strip_whitespace = boolean($key, $value)?,
            "is_separator_regex" => $options.is_separator_regex = boolean($key, $value)?,
            _ => return Err(invalid($key, "unexpected keyword argument")),
        }
    };
}

impl CharacterTextSplitterOptions {
    /// Options from `CharacterTextSplitter(**kwargs)` written as a JSON object; missing
    /// keys keep LangChain's defaults. `length_function` cannot be given this way.
    pub fn from_kwargs(kwargs: &Value) -> Result<Self, SplitterError> {
        let mut options = Self::default();
        for (key, value) in as_object(kwargs)? {
            if key == "separator" {
                options.separator = string(key, value)?;
            } else {
                common_option!(options, key.as_str(), value);
            }
        }
        Ok(options)
    }
}

impl RecursiveCharacterTextSplitterOptions {
    /// Options from `RecursiveCharacterTextSplitter(**kwargs)` written as a JSON object;
    /// missing keys keep LangChain's defaults. `separators: null` means the defaults.
    pub fn from_kwargs(kwargs: &Value) -> Result<Self, SplitterError> {
        let mut options = Self::default();
        for (key, value) in as_object(kwargs)? {
            if key == "separators" {
                options.separators = match value {
                    Value::Null => Vec::new(),
                    Value::Array(items) => items
                        .iter()
                        .map(|v| string(key, v))
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(invalid(
                            key,
                            format!("expected a list of strings, got {other}"),
                        ))
                    }
                };
            } else {
                common_option!(options, key.as_str(), value);
            }
        }
        Ok(options)
    }
}
