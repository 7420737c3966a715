//! LangChain's document loaders: [`TextLoader`] for one file, [`DirectoryLoader`] for the
//! files of a folder that match a glob.

mod directory;
mod encoding;
mod error;
mod text;

pub use directory::{DirectoryLoader, DEFAULT_DIRECTORY_GLOB};
pub use encoding::TextEncoding;
pub use error::LoaderError;
pub use text::TextLoader;
