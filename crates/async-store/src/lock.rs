//! The handle's lock and blocking pool: a shared `RwLock` over the store whose poison
//! is cleared when the store checks whole, and `spawn_blocking` with its panics mapped
//! to errors.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use ferrofaiss_store::{FaissStore, StoreError};

/// Runs `f` on tokio's blocking pool and maps a panic there to an error.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Background(e.to_string()))?
}

/// Takes the shared lock; a poisoned lock is cleared when the store checks whole
/// ([`FaissStore::check_consistent`]), and is an error otherwise.
pub(crate) fn read_lock(
    lock: &RwLock<FaissStore>,
) -> Result<RwLockReadGuard<'_, FaissStore>, StoreError> {
    lock.read().or_else(|poison| {
        let guard = poison.into_inner();
        recover(lock, &guard)?;
        Ok(guard)
    })
}

/// Takes the exclusive lock, recovering from poison as [`read_lock`] does.
pub(crate) fn write_lock(
    lock: &RwLock<FaissStore>,
) -> Result<RwLockWriteGuard<'_, FaissStore>, StoreError> {
    lock.write().or_else(|poison| {
        let guard = poison.into_inner();
        recover(lock, &guard)?;
        Ok(guard)
    })
}

/// After a writer's panic: clears the poison if the store is still whole.
fn recover(lock: &RwLock<FaissStore>, store: &FaissStore) -> Result<(), StoreError> {
    match store.check_consistent() {
        Ok(()) => {
            lock.clear_poison();
            Ok(())
        }
        Err(e) => Err(StoreError::Poisoned(format!(
            "a writer panicked and left the store inconsistent ({e})"
        ))),
    }
}
