//! When and how long to wait before trying a failed request again.

use std::time::Duration;

/// Retries with exponential backoff for transient failures: HTTP 429 (rate limit),
/// HTTP 5xx, timeouts and refused or failed connections.
///
/// Attempt `n` (0-based) that fails waits `min(initial_backoff * 2^n, max_backoff)`
/// before the next one; after `max_retries` retries the error is returned. Other
/// errors (401, 400, 404, a malformed answer) are returned at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a failed request is retried (0: never). Default 2, as the
    /// OpenAI Python client that LangChain uses.
    pub max_retries: u32,
    /// The wait before the first retry. Default 500 ms.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts. Default 8 s.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (0-based), before the next one.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Whether an HTTP status is worth retrying: 408, 409 (lock timeout), 429 and 5xx,
/// the statuses the OpenAI Python client retries.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..600).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_are_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
        };
        let ms: Vec<u128> = (0..6).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 422] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
