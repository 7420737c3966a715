//! Settings of [`OpenAiEmbeddings`] and how they are resolved.

use std::sync::Arc;
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;

use super::client::{Inner, OpenAiEmbeddings};
use super::retry::RetryPolicy;
use crate::EmbeddingError;

/// LangChain's `OpenAIEmbeddings` default model.
pub const OPENAI_DEFAULT_MODEL: &str = "text-embedding-ada-002";

/// OpenAI's API base URL, used when neither [`OpenAiEmbeddingsBuilder::base_url`] nor
/// `OPENAI_BASE_URL` is set.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// LangChain's default number of texts per request (`chunk_size=1000`).
pub const OPENAI_DEFAULT_CHUNK_SIZE: usize = 1000;

/// Default number of requests in flight at once.
pub const OPENAI_DEFAULT_MAX_CONCURRENCY: usize = 4;

/// Default limit on one request, from sending it to reading the whole answer.
pub const OPENAI_DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Default limit on opening a connection.
pub const OPENAI_DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds an [`OpenAiEmbeddings`]. Every setting has a default; the API key and base
/// URL fall back to the environment (`OPENAI_API_KEY`, `OPENAI_BASE_URL`), as in
/// LangChain.
#[derive(Debug, Clone)]
pub struct OpenAiEmbeddingsBuilder {
    model: String,
    dimensions: Option<u32>,
    api_key: Option<String>,
    base_url: Option<String>,
    organization: Option<String>,
    project: Option<String>,
    chunk_size: usize,
    max_concurrency: usize,
    retry: RetryPolicy,
    request_timeout: Duration,
    connect_timeout: Duration,
    proxy_from_env: bool,
}

impl Default for OpenAiEmbeddingsBuilder {
    fn default() -> Self {
        Self {
            model: OPENAI_DEFAULT_MODEL.to_string(),
            dimensions: None,
            api_key: None,
            base_url: None,
            organization: None,
            project: None,
            chunk_size: OPENAI_DEFAULT_CHUNK_SIZE,
            max_concurrency: OPENAI_DEFAULT_MAX_CONCURRENCY,
            retry: RetryPolicy::default(),
            request_timeout: OPENAI_DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: OPENAI_DEFAULT_CONNECT_TIMEOUT,
            proxy_from_env: true,
        }
    }
}

/// Whether `value` can be sent in an HTTP header (visible ASCII, space or tab), so
/// the client never has to reject it half-way through a request.
fn header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

impl OpenAiEmbeddingsBuilder {
    /// The embedding model (default `text-embedding-ada-002`, LangChain's default).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Asks the server for vectors of this length (the API's `dimensions`; only
    /// `text-embedding-3-*` and later models accept it). Default: not sent.
    pub fn dimensions(mut self, dimensions: u32) -> Self {
        self.dimensions = Some(dimensions);
        self
    }

    /// The API key, sent as `Authorization: Bearer <key>`. Default: `OPENAI_API_KEY`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API base URL, up to and including the version (`http://localhost:8000/v1`
    /// for vLLM, `http://localhost:11434/v1` for Ollama, `http://localhost:1234/v1`
    /// for LM Studio); requests go to `<base>/embeddings`. Default: `OPENAI_BASE_URL`,
    /// else `OPENAI_API_BASE` (LangChain's older name), else `https://api.openai.com/v1`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `OpenAI-Organization` header. Default: `OPENAI_ORG_ID`, else none.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// The `OpenAI-Project` header. Default: `OPENAI_PROJECT_ID`, else none.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// How many texts one request carries at most (LangChain's `chunk_size`,
    /// default 1000). Longer lists are split into several requests.
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size;
        self
    }

    /// How many requests may be in flight at once for one call (default 4).
    pub fn max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency;
        self
    }

    /// When and how often to retry transient failures (default: 2 retries,
    /// 500 ms doubling up to 8 s).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Shorthand for a [`RetryPolicy`] with `max_retries` retries and the default
    /// backoff.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// Limit on one request, from sending it to reading the whole answer
    /// (default 120 s). A request that times out counts as a transient failure.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Limit on opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether to use the proxies named by `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`
    /// (default true). Turn it off to always connect directly.
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy_from_env = enabled;
        self
    }

    /// Builds the embedder, taking unset settings from the process environment.
    ///
    /// # Errors
    /// [`EmbeddingError::Config`] when no API key is set (neither
    /// [`OpenAiEmbeddingsBuilder::api_key`] nor `OPENAI_API_KEY`), when a setting is
    /// out of range (empty model, `chunk_size`, `max_concurrency` or `dimensions` of
    /// 0, zero timeouts), when the base URL is not `http(s)://...`, when the key or
    /// organization cannot be sent in a header, or when the HTTP client cannot be
    /// created.
    pub fn build(self) -> Result<OpenAiEmbeddings, EmbeddingError> {
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// Like [`OpenAiEmbeddingsBuilder::build`], but unset settings are looked up with
    /// `env` instead of the process environment (for configuration systems and tests).
    ///
    /// # Errors
    /// As [`OpenAiEmbeddingsBuilder::build`].
    pub fn build_with_env(
        self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<OpenAiEmbeddings, EmbeddingError> {
        let config_err = |msg: String| Err(EmbeddingError::Config(msg));
        let non_empty =
            |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());

        let api_key =
            match non_empty(self.api_key.clone()).or_else(|| non_empty(env("OPENAI_API_KEY"))) {
                Some(key) => key,
                None => {
                    return config_err(
                        "missing OpenAI API key: set OPENAI_API_KEY or call api_key() \
                     (local servers that ignore the key accept any value)"
                            .into(),
                    )
                }
            };
        let base_url = non_empty(self.base_url.clone())
            .or_else(|| non_empty(env("OPENAI_BASE_URL")))
            .or_else(|| non_empty(env("OPENAI_API_BASE")))
            .unwrap_or_else(|| OPENAI_DEFAULT_BASE_URL.to_string());
        let base_url = base_url.trim_end_matches('/').to_string();
        let organization = non_empty(self.organization.clone())
            .or_else(|| non_empty(env("OPENAI_ORG_ID")))
            .unwrap_or_default();
        let project = non_empty(self.project.clone())
            .or_else(|| non_empty(env("OPENAI_PROJECT_ID")))
            .unwrap_or_default();

        if self.model.trim().is_empty() {
            return config_err("model name is empty".into());
        }
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return config_err(format!(
                "base URL must start with http:// or https://, got {base_url:?}"
            ));
        }
        for (what, value) in [
            ("API key", &api_key),
            ("organization", &organization),
            ("project", &project),
        ] {
            if !header_safe(value) {
                return config_err(format!(
                    "{what} contains characters that cannot be sent in an HTTP header"
                ));
            }
        }
        if self.chunk_size == 0 {
            return config_err("chunk_size must be at least 1, got 0".into());
        }
        if self.max_concurrency == 0 {
            return config_err("max_concurrency must be at least 1, got 0".into());
        }
        if self.dimensions == Some(0) {
            return config_err("dimensions must be at least 1, got 0".into());
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return config_err("timeouts must be longer than 0".into());
        }

        let mut http = reqwest::Client::builder()
            .timeout(self.request_timeout)
            .connect_timeout(self.connect_timeout);
        if !self.proxy_from_env {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| EmbeddingError::Config(format!("cannot create the HTTP client: {e}")))?;

        let config = OpenAIConfig::new()
            .with_api_key(api_key)
            .with_api_base(base_url.clone())
            .with_org_id(organization)
            .with_project_id(project);
        // A plain reqwest service, without async-openai's built-in retry layer: retries
        // follow this crate's RetryPolicy (see `request.rs`).
        let client =
            async_openai::Client::with_config(config).with_http_service(ReqwestService::new(http));

        Ok(OpenAiEmbeddings {
            inner: Arc::new(Inner {
                client,
                model: self.model,
                dimensions: self.dimensions,
                base_url,
                chunk_size: self.chunk_size,
                max_concurrency: self.max_concurrency,
                retry: self.retry,
            }),
        })
    }
}
