//! The store lock: one open store shared by the app's calls and its background sync, and the
//! helper that runs a store call on the blocking pool, so no caller's thread (a shell's main
//! thread, a Python event loop, a Kotlin coroutine) ever waits on SQLite.

use std::sync::{Arc, Mutex, MutexGuard};

use homevisit_store::Store;

use super::error::SessionError;
use super::exit_hold;

/// Locks `store`. A call that panicked while holding the lock leaves the store usable (SQLite
/// rolled its transaction back), so a poisoned lock is taken over rather than failing every
/// later call.
pub fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// An open store, shared. Held at process exit (see `exit_hold`) while any clone is alive.
#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl SharedStore {
    pub fn new(store: Store) -> Self {
        let shared = Arc::new(Mutex::new(store));
        exit_hold::track(&shared);
        Self(shared)
    }

    pub fn lock(&self) -> MutexGuard<'_, Store> {
        lock(&self.0)
    }

    /// The shared mutex itself, for the sync client and agent.
    pub fn mutex(&self) -> &Arc<Mutex<Store>> {
        &self.0
    }

    /// Runs `f` on the store on the runtime's blocking pool and maps every way that can fail
    /// (its own error, a panic inside it, a cancelled task, no runtime) to a [`SessionError`].
    pub async fn call<T, E>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, SessionError>
    where
        T: Send + 'static,
        E: Into<SessionError> + Send + 'static,
    {
        let store = self.0.clone();
        blocking(move || f(&mut lock(&store)).map_err(Into::into)).await
    }
}

/// Runs `f` on the current runtime's blocking pool. A panic in `f` is [`SessionError::Panicked`]
/// (its message is dropped: it may quote what `f` worked on).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SessionError> + Send + 'static,
) -> Result<T, SessionError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| SessionError::NoRuntime)?;
    match runtime.spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(SessionError::Panicked),
        Err(_) => Err(SessionError::Cancelled),
    }
}
