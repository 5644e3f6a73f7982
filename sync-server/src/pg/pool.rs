//! Connections to PostgreSQL for blocking code that may be called from anywhere: an `r2d2` pool of
//! `postgres` clients.
//!
//! The `postgres` client runs its own small runtime and must not be used (nor dropped) on a
//! thread that is running async tasks. Admin calls and tests reach the relay from async code, so
//! every use runs on a short-lived scoped thread of its own (~30 µs) with a pooled connection.
//! No connection is closed on an async thread either: r2d2 opens connections, and closes idle
//! ones past their time, on its own worker threads; a connection that failed its check-out
//! test or is returned broken is closed by the thread that took or returned it (the scoped one);
//! the connections still open when the relay shuts down are closed by a thread of their own
//! ([`Pool`]'s `Drop`).

use std::time::Duration;

use postgres::{Client, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use crate::RelayError;
use crate::pg::statements::Statements;

/// Most connections one relay instance opens to PostgreSQL, unless
/// `HOMEVISIT_RELAY_POSTGRES_MAX_CONNECTIONS` says otherwise: one per request being answered at
/// once (each is one transaction), the rest wait their turn. The server's own `max_connections`
/// (100 by default) must cover every instance's cap, plus one listening connection per instance.
pub(crate) const MAX_CONNECTIONS: u32 = 16;
/// The environment variable that overrides [`MAX_CONNECTIONS`] (a whole number above 0).
pub(crate) const MAX_CONNECTIONS_ENV: &str = "HOMEVISIT_RELAY_POSTGRES_MAX_CONNECTIONS";

/// Longest a request waits for a connection (all in use, or the server unreachable) before it
/// fails with a storage error (a 500; the device syncs again later), and how long opening the
/// relay waits for its first connection.
pub(crate) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open while idle (r2d2 closes the others after 10 minutes unused), so the
/// first request after a quiet spell does not wait for one to open.
const MIN_IDLE: u32 = 1;

/// A pooled connection: the client, and the statements prepared on it.
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) statements: Statements,
}

/// `r2d2_postgres`'s manager, each connection with its own [`Statements`].
struct Manager(PostgresConnectionManager<NoTls>);

impl Manager {
    fn new(config: postgres::Config) -> Self {
        Manager(PostgresConnectionManager::new(config, NoTls))
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn { client: self.0.connect()?, statements: Statements::default() })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// No connection could be had within [`CONNECTION_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error("no PostgreSQL connection free within {secs} s: {0}", secs = CONNECTION_TIMEOUT.as_secs())]
pub(crate) struct PoolError(r2d2::Error);

pub(crate) struct Pool {
    /// Always `Some` until dropped (see `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
}

/// The connection cap in force: the environment's, else [`MAX_CONNECTIONS`].
pub(crate) fn max_connections() -> Result<u32, RelayError> {
    crate::env_setting::positive(MAX_CONNECTIONS_ENV, MAX_CONNECTIONS)
}

/// r2d2's connection errors (it opens connections in the background) go to the relay's log,
/// with their causes ("connection refused", ...), and the last is kept for [`Pool::new`]'s error.
#[derive(Debug, Default)]
struct LogErrors {
    last: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl r2d2::HandleError<postgres::Error> for LogErrors {
    fn handle_error(&self, error: postgres::Error) {
        let mut text = error.to_string();
        let mut cause = std::error::Error::source(&error);
        while let Some(c) = cause {
            text = format!("{text}: {c}");
            cause = c.source();
        }
        tracing::warn!(error = %text, "postgres connection failed");
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
    }
}

impl Pool {
    /// A pool with its first connection open: fails (after at most [`CONNECTION_TIMEOUT`]) if the
    /// server cannot be reached.
    pub(crate) fn new(config: postgres::Config) -> Result<Self, RelayError> {
        let max = max_connections()?;
        let errors = LogErrors::default();
        let last_error = errors.last.clone();
        let builder = r2d2::Pool::builder()
            .max_size(max)
            .min_idle(Some(MIN_IDLE.min(max)))
            .connection_timeout(CONNECTION_TIMEOUT)
            // Every connection is checked (an empty query) as it is taken: one that died idle is
            // closed and another taken, rather than failing a request.
            .test_on_check_out(true)
            .error_handler(Box::new(errors));
        // On a thread of its own: a pool that fails to build is dropped where it was built.
        let pool = std::thread::scope(|scope| {
            scope.spawn(|| builder.build(Manager::new(config))).join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
        .map_err(|e| {
            let cause = last_error.lock().unwrap_or_else(|p| p.into_inner()).take().unwrap_or_else(|| e.to_string());
            RelayError::Io(format!("cannot connect to PostgreSQL within {} s: {cause}", CONNECTION_TIMEOUT.as_secs()))
        })?;
        Ok(Self { pool: Some(pool) })
    }

    /// Runs `f` with a connection, on a thread free of any async runtime. Waits at most
    /// [`CONNECTION_TIMEOUT`] for a connection ([`PoolError`] then).
    pub(crate) fn run<R: Send, E: From<postgres::Error> + From<PoolError> + Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, E> + Send,
    ) -> Result<R, E> {
        self.run_prepared(|conn| f(&mut conn.client))
    }

    /// As [`Pool::run`], with the connection's prepared statements.
    pub(crate) fn run_prepared<R: Send, E: From<postgres::Error> + From<PoolError> + Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<R, E> + Send,
    ) -> Result<R, E> {
        let pool = self.pool.as_ref().expect("the pool is open until dropped");
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut client = pool.get().map_err(PoolError)?;
                    // `client` goes back to the pool when this returns, on this thread: kept if it
                    // is still open, else closed here. It is never returned inside a transaction:
                    // a `postgres::Transaction` that `f` did not commit rolled back when dropped,
                    // before `f` returned (or while a panic unwound).
                    f(&mut client)
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a connection blocks on its runtime: never on an async thread.
        let pool = self.pool.take();
        let _ = std::thread::spawn(move || drop(pool)).join();
    }
}

#[cfg(test)]
mod tests {
    //! Run when `HOMEVISIT_TEST_POSTGRES` names a server (`scripts/with-postgres`).

    use super::*;

    fn config() -> Option<postgres::Config> {
        match std::env::var("HOMEVISIT_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Some(url.parse().expect("a PostgreSQL URL")),
            _ => {
                eprintln!("skipped: set HOMEVISIT_TEST_POSTGRES to a PostgreSQL URL");
                None
            }
        }
    }

    #[derive(Debug)]
    enum TestError {
        Postgres(#[allow(dead_code)] postgres::Error),
        Pool(#[allow(dead_code)] PoolError),
    }

    impl From<postgres::Error> for TestError {
        fn from(e: postgres::Error) -> Self {
            TestError::Postgres(e)
        }
    }

    impl From<PoolError> for TestError {
        fn from(e: PoolError) -> Self {
            TestError::Pool(e)
        }
    }

    /// A pool of at most one connection, waiting at most `timeout` for it.
    fn one_connection(config: postgres::Config, timeout: Duration) -> Pool {
        let pool = std::thread::scope(|s| {
            s.spawn(|| {
                r2d2::Pool::builder()
                    .max_size(1)
                    .min_idle(Some(1))
                    .connection_timeout(timeout)
                    .build(Manager::new(config))
                    .unwrap()
            })
            .join()
            .unwrap()
        });
        Pool { pool: Some(pool) }
    }

    /// Used, returned and dropped from async code, with no panic from the client's runtime.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pool_is_used_and_dropped_from_async_code() {
        let Some(config) = config() else { return };
        let pool = Pool::new(config).unwrap();
        let n: i32 = pool.run(|c| Ok::<_, TestError>(c.query_one("SELECT 1", &[])?.get(0))).unwrap();
        assert_eq!(n, 1);
        drop(pool);
    }

    #[test]
    fn a_connection_returned_from_an_aborted_transaction_is_clean() {
        let Some(config) = config() else { return };
        let pool = one_connection(config, CONNECTION_TIMEOUT);
        let first = std::sync::Mutex::new(None);
        let failed = pool.run(|c| {
            let mut tx = c.transaction()?;
            let row = tx.query_one("SELECT pg_backend_pid(), now()", &[])?;
            *first.lock().unwrap() = Some((row.get::<_, i32>(0), row.get::<_, std::time::SystemTime>(1)));
            tx.execute("SELECT 1 / 0", &[])?; // aborts the transaction
            tx.commit()?;
            Ok::<_, TestError>(())
        });
        assert!(matches!(failed, Err(TestError::Postgres(_))), "{failed:?}");
        // The same connection, in a transaction of its own: in the aborted one this would fail,
        // and `now()` would still be that one's start.
        let (backend, began) = first.lock().unwrap().expect("the first transaction ran");
        let row = pool.run(|c| c.query_one("SELECT pg_backend_pid(), now()", &[]).map_err(TestError::from)).unwrap();
        assert_eq!(row.get::<_, i32>(0), backend);
        assert!(row.get::<_, std::time::SystemTime>(1) > began);
    }

    #[test]
    fn a_request_waits_for_a_connection_at_most_the_timeout() {
        let Some(config) = config() else { return };
        let pool = one_connection(config, Duration::from_millis(300));
        let (taken, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                pool.run(|_| {
                    taken.wait();
                    release.wait();
                    Ok::<_, TestError>(())
                })
                .unwrap()
            });
            taken.wait();
            let started = std::time::Instant::now();
            let waited = pool.run(|_| Ok::<_, TestError>(()));
            assert!(matches!(waited, Err(TestError::Pool(_))), "{waited:?}");
            assert!(started.elapsed() >= Duration::from_millis(300));
            release.wait();
        });
        // Free again: the next request has it.
        pool.run(|c| c.batch_execute("SELECT 1").map_err(TestError::from)).unwrap();
    }
}
