//! Serving HTTP on a socket, with the bounds a relay on the open internet needs and `axum::serve`
//! does not offer: a connection limit (over it, a new connection is closed at once, before
//! anything of it is read), a timeout for a request's headers (a client that opens a connection
//! and says nothing, or trickles its headers, is cut off; it also ends idle keep-alive
//! connections), and a graceful shutdown that lets in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once, by default (`HOMEVISIT_RELAY_MAX_CONNECTIONS`). A relay serves a
/// district's phones, each with one connection at a time (two while a live wait is open).
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a client may take to send a request's headers (`HOMEVISIT_RELAY_HEADER_TIMEOUT_SECS`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long in-flight requests may take to finish once a shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The connection bounds in force.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// How long an authenticated client may take to send a sync body
    /// ([`crate::routes::BODY_READ_TIMEOUT`]).
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: crate::routes::BODY_READ_TIMEOUT,
        }
    }
}

impl Limits {
    /// The defaults, with the environment's settings where given.
    pub fn from_env() -> Result<Self, String> {
        let d = Self::default();
        let setting = |name, default| crate::env_setting::positive::<u64>(name, default).map_err(|e| e.to_string());
        Ok(Limits {
            max_connections: crate::env_setting::positive("HOMEVISIT_RELAY_MAX_CONNECTIONS", d.max_connections)
                .map_err(|e| e.to_string())?,
            header_read_timeout: Duration::from_secs(setting(
                "HOMEVISIT_RELAY_HEADER_TIMEOUT_SECS",
                d.header_read_timeout.as_secs(),
            )?),
            body_read_timeout: Duration::from_secs(setting(
                "HOMEVISIT_RELAY_BODY_TIMEOUT_SECS",
                d.body_read_timeout.as_secs(),
            )?),
        })
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// (up to a grace period).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    refused: impl Fn(SocketAddr) + Send + Sync + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused(peer);
            drop(stream);
            continue;
        };
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await; // a client that went away, or timed out: nothing to do
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}
