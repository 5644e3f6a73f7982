//! Connections to PostgreSQL for blocking code that may be called from anywhere.
//!
//! The `postgres` client runs its own small runtime and must not be used (nor dropped) on a
//! thread that is running async tasks. Admin calls and tests reach the relay from async code, so
//! every use runs on a short-lived scoped thread of its own (~30 µs) with a pooled connection.

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

pub(crate) struct Pool {
    config: postgres::Config,
    idle: Mutex<Vec<Client>>,
}

impl Pool {
    pub(crate) fn new(config: postgres::Config) -> Self {
        Self { config, idle: Mutex::new(Vec::new()) }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Client>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with a connection, on a thread free of any async runtime.
    pub(crate) fn run<R: Send, E: From<postgres::Error> + Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, E> + Send,
    ) -> Result<R, E> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let pooled = self.idle().pop();
                    let mut client = match pooled {
                        Some(c) if !c.is_closed() => c,
                        _ => self.config.connect(NoTls)?,
                    };
                    let result = f(&mut client);
                    if !client.is_closed() {
                        let mut idle = self.idle();
                        if idle.len() < MAX_IDLE {
                            idle.push(client);
                            return result;
                        }
                    }
                    drop(client); // here, off any runtime
                    result
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a connection blocks on its runtime: never on an async thread.
        let clients = std::mem::take(&mut *self.idle());
        let _ = std::thread::spawn(move || drop(clients)).join();
    }
}
