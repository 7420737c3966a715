//! Turning async-openai and reqwest errors into [`EmbeddingError`]s that say what
//! happened, and deciding which of them are worth a retry.

use async_openai::error::OpenAIError;

use super::retry::is_retryable_status;
use crate::EmbeddingError;

/// How much of an unparseable body an error message quotes.
const BODY_EXCERPT_CHARS: usize = 300;

/// A failed attempt: the error to report and whether trying again may help.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What went wrong.
    pub error: EmbeddingError,
    /// Whether the failure is transient (rate limit, server error, network).
    pub retryable: bool,
}

impl Failure {
    /// A failure that retrying cannot fix.
    pub fn permanent(error: EmbeddingError) -> Self {
        Self {
            error,
            retryable: false,
        }
    }
}

/// `e` and its chain of causes, joined with ": " (reqwest's own message alone
/// rarely says *why*, e.g. "connection refused").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The first [`BODY_EXCERPT_CHARS`] characters of `body`.
fn excerpt(body: &str) -> String {
    let mut chars = body.chars();
    let head: String = chars.by_ref().take(BODY_EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

/// Classifies an error of `client.embeddings().create(...)` against `url`.
pub(crate) fn classify(error: OpenAIError, url: &str) -> Failure {
    match error {
        OpenAIError::ApiError(response) => {
            let status = response.status_code.as_u16();
            let mut message = response.api_error.to_string();
            if message.trim().is_empty() {
                message = response
                    .status_code
                    .canonical_reason()
                    .unwrap_or("no message")
                    .to_string();
            }
            Failure {
                error: EmbeddingError::Http {
                    status,
                    message: excerpt(&message),
                },
                retryable: is_retryable_status(status),
            }
        }
        OpenAIError::Reqwest(e) => {
            let retryable = e.is_timeout() || e.is_connect() || e.is_request();
            let what = if e.is_timeout() {
                "request timed out"
            } else if e.is_connect() {
                "cannot connect"
            } else if e.is_decode() || e.is_body() {
                "failed reading the response"
            } else {
                "request failed"
            };
            Failure {
                error: EmbeddingError::Transport(format!("{what} ({url}): {}", with_causes(&e))),
                retryable,
            }
        }
        OpenAIError::JSONDeserialize(e, body) => {
            let hint = if body.trim_start().starts_with(['{', '[']) {
                ""
            } else {
                " (not JSON: is the base URL right? OpenAI-compatible servers usually \
                 serve it under /v1)"
            };
            Failure::permanent(EmbeddingError::MalformedResponse(format!(
                "{url}: {e}{hint}; body: {:?}",
                excerpt(&body)
            )))
        }
        OpenAIError::InvalidArgument(msg) => Failure::permanent(EmbeddingError::InvalidInput(msg)),
        other => Failure::permanent(EmbeddingError::Transport(format!(
            "{url}: {}",
            with_causes(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut_at_a_char_boundary() {
        let long = "é".repeat(BODY_EXCERPT_CHARS + 5);
        let e = excerpt(&long);
        assert!(e.ends_with("..."));
        assert_eq!(e.chars().count(), BODY_EXCERPT_CHARS + 3);
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn bad_arguments_are_not_retried() {
        let f = classify(OpenAIError::InvalidArgument("no".into()), "u");
        assert!(!f.retryable);
        assert!(matches!(f.error, EmbeddingError::InvalidInput(_)));
    }
}
