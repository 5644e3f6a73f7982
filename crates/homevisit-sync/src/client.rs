//! The device's client for the relay (feature `http`): enrollment, and syncing the store with the
//! relay in rounds of one HTTP request each. Every byte goes over TLS (rustls); plain HTTP is
//! refused except to this machine (loopback), for tests and local demos.

use std::sync::Mutex;
use std::time::Duration;

use homevisit_protocol::{ProtocolError, SyncBatch};
use homevisit_store::Store;
use serde::{Deserialize, Serialize};

use crate::{DocFailure, Session, SyncReport};

/// The name the relay's sync state and marks are kept under on the device.
pub const RELAY_PEER: &str = "relay";

/// Most round trips one sync makes before it stops (the next sync continues from there).
pub const MAX_ROUNDS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the relay address must be https:// (plain http only to this machine)")]
    InsecureUrl,
    #[error("the relay could not be reached")]
    Unreachable(#[source] reqwest::Error),
    #[error("this device is not enrolled, or was revoked")]
    Unauthorized,
    #[error("the relay asks this device to slow down; retry shortly")]
    RateLimited,
    #[error("the relay refused the request (HTTP {0})")]
    Refused(u16),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Storage(#[from] DocFailure),
    #[error("the sync did not settle within {0} rounds; the next sync continues")]
    TooManyRounds(usize),
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn checked_url(base: &str, path: &str) -> Result<(reqwest::Url, bool), ClientError> {
    let url = reqwest::Url::parse(base).and_then(|u| u.join(path)).map_err(|_| ClientError::InsecureUrl)?;
    let loopback = is_loopback(&url);
    match url.scheme() {
        "https" => Ok((url, loopback)),
        "http" if loopback => Ok((url, loopback)),
        _ => Err(ClientError::InsecureUrl),
    }
}

fn http_client(loopback: bool) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .https_only(!loopback)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(ClientError::Unreachable)
}

#[derive(Serialize)]
struct EnrollRequest<'a> {
    invite: &'a str,
}

/// What enrollment gives a device: its id and the token to keep in the keystore.
#[derive(Clone, Debug, Deserialize)]
pub struct Enrollment {
    pub device_id: String,
    pub token: String,
}

/// Exchanges an invite code for a device token.
pub async fn enroll(base_url: &str, invite: &str) -> Result<Enrollment, ClientError> {
    let (url, loopback) = checked_url(base_url, "v1/enroll")?;
    let response = http_client(loopback)?
        .post(url)
        .json(&EnrollRequest { invite })
        .send()
        .await
        .map_err(ClientError::Unreachable)?;
    match response.status().as_u16() {
        200 => response.json().await.map_err(ClientError::Unreachable),
        401 => Err(ClientError::Unauthorized),
        other => Err(ClientError::Refused(other)),
    }
}

/// Where a sync stands, after each round: documents settled out of those in this sync, and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncProgress {
    pub round: usize,
    pub documents_done: usize,
    pub documents_total: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl ClientError {
    /// Whether trying again later may succeed. Every failure of the network or the relay is
    /// retried; a revoked device or a bad address needs a person.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, ClientError::Unauthorized | ClientError::InsecureUrl)
    }
}

/// A device's connection to its relay.
pub struct RelayClient {
    sync_url: reqwest::Url,
    token: String,
    http: reqwest::Client,
}

impl RelayClient {
    pub fn new(base_url: &str, token: &str) -> Result<Self, ClientError> {
        let (sync_url, loopback) = checked_url(base_url, "v1/sync")?;
        Ok(Self { sync_url, token: token.to_string(), http: http_client(loopback)? })
    }

    /// One request; returns the answer and the (sent, received) body sizes.
    async fn round_trip(&self, batch: &SyncBatch) -> Result<(SyncBatch, usize, usize), ClientError> {
        let body = batch.encode();
        let sent = body.len();
        let response = self
            .http
            .post(self.sync_url.clone())
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(ClientError::Unreachable)?;
        match response.status().as_u16() {
            200 => {}
            401 => return Err(ClientError::Unauthorized),
            429 => return Err(ClientError::RateLimited),
            other => return Err(ClientError::Refused(other)),
        }
        let body = response.bytes().await.map_err(ClientError::Unreachable)?;
        Ok((SyncBatch::decode(&body)?, sent, body.len()))
    }

    /// Syncs `store` with the relay. The store is locked only while a batch is built or applied,
    /// never while a request is on the network. An error part-way persists nothing of this
    /// session; edits already applied stay applied, and the next sync starts fresh and converges.
    pub async fn sync(&self, store: &Mutex<Store>) -> Result<SyncReport, ClientError> {
        self.sync_with_progress(store, &|_| {}).await
    }

    /// [`RelayClient::sync`], reporting progress after every round.
    pub async fn sync_with_progress(
        &self,
        store: &Mutex<Store>,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport, ClientError> {
        let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
        let mut session = Session::new(RELAY_PEER);
        for round in 0..MAX_ROUNDS {
            let out = session.outgoing(&mut *lock())?;
            let (done, total, report) = session.progress();
            progress(SyncProgress {
                round,
                documents_done: done,
                documents_total: total,
                bytes_sent: report.bytes_sent,
                bytes_received: report.bytes_received,
            });
            // After the first round trip (which also asks the relay what it has for us), having
            // nothing to say means every document is settled: the relay answers each message in
            // the same response, so nothing is left pending on its side.
            if round > 0 && out.messages.is_empty() {
                return Ok(lock().batch(|store| session.finish(store))?);
            }
            let (reply, sent, received) = self.round_trip(&out).await?;
            session.count_bodies(sent, received);
            // One commit for the whole reply, however many documents it carries.
            lock().batch(|store| session.incoming(store, &reply))?;
        }
        Err(ClientError::TooManyRounds(MAX_ROUNDS))
    }
}
