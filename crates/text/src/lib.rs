//! LangChain's document loaders and text splitters: turn files into documents and
//! documents into chunks.
