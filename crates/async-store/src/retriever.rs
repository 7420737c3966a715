//! [`AsyncRetriever`]: LangChain's `VectorStoreRetriever` over the async handle.

use ferrofaiss_docstore::Document;
use ferrofaiss_store::{SearchOptions, SearchType, StoreError};

use crate::handle::AsyncFaissStore;

impl AsyncFaissStore {
    /// An async retriever (LangChain `as_retriever`, used with `ainvoke`).
    pub fn as_retriever(
        &self,
        search_type: SearchType,
        opts: SearchOptions,
    ) -> Result<AsyncRetriever, StoreError> {
        search_type.check_options(&opts)?;
        Ok(AsyncRetriever {
            store: self.clone(),
            search_type,
            opts,
        })
    }
}

/// A retriever over an [`AsyncFaissStore`] (LangChain `VectorStoreRetriever.ainvoke`).
#[derive(Debug, Clone)]
pub struct AsyncRetriever {
    store: AsyncFaissStore,
    search_type: SearchType,
    opts: SearchOptions,
}

impl AsyncRetriever {
    /// Retrieves the documents for `query`.
    #[doc(alias = "ainvoke")]
    pub async fn invoke(&self, query: &str) -> Result<Vec<Document>, StoreError> {
        self.store
            .search(query, self.search_type, self.opts.clone())
            .await
    }
}
