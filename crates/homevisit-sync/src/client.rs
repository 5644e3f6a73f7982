//! The device's client for the relay (feature `http`): enrollment, and syncing the store with the
//! relay in rounds of one HTTP request each, and live mode ([`RelayClient::sync_live`]: a request
//! with nothing to send waits at the relay until it has news). Every byte goes over TLS (rustls);
//! plain HTTP is refused except to this machine (loopback), for tests and local demos.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use homevisit_docs::DocId;
use homevisit_protocol::{ProtocolError, SyncBatch};
use homevisit_store::Store;
use serde::{Deserialize, Serialize};

use crate::identity::Identity;
use crate::{DeviceId, DocFailure, PeerId, Session, SyncReport};

/// The peer the relay's sync state and marks are kept under on the device ([`PeerId::RELAY`]).
pub const RELAY_PEER: &PeerId = &PeerId::RELAY;

/// Most round trips one sync makes before it stops (the next sync continues from there).
pub const MAX_ROUNDS: usize = 12;

/// Most round trips in one session, pages included: 1,000,000 documents each way at the relay's
/// page size (`homevisit_relay`'s is 500): far above a district, and still a bound.
pub const MAX_PAGES: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the relay address must be https:// (plain http only to this machine)")]
    InsecureUrl,
    #[error("the relay could not be reached")]
    Unreachable(#[source] reqwest::Error),
    /// The relay does not know this token (or the invite code was unknown, used or expired).
    #[error("this device is not enrolled with this relay")]
    Unauthorized,
    /// The relay revoked this device (a lost phone): its token was valid and no longer is. The
    /// device session wipes the store when it hears this.
    #[error("this device was revoked by the relay")]
    Revoked,
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
    /// A request sent while the last reply was being stored never finished (its task was
    /// cancelled: the runtime is shutting down). Nothing of it is assumed; the next sync continues.
    #[error("the sync was cut short; the next sync continues")]
    Interrupted,
    /// The relay's enrollment answer was not one (too long, or not the expected JSON).
    #[error("the relay's answer could not be read")]
    BadAnswer,
    /// The HTTP client could not be built (no TLS roots on the system, ...): not a signal problem.
    #[error("the HTTP client could not be set up: {0}")]
    Setup(String),
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

/// Makes rustls's *ring* provider the process's TLS crypto (once; later calls do nothing). Every
/// HTTP client this crate builds calls it first; call it before building another reqwest client.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How long an idle connection to the relay is kept for the next request.
const IDLE_CONNECTION: Duration = Duration::from_secs(5);

fn http_client(loopback: bool) -> Result<reqwest::Client, ClientError> {
    install_tls_provider();
    reqwest::Client::builder()
        .https_only(!loopback)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        // Under the relay's idle limit (its header timeout, 10 s by default): a connection kept
        // longer may be closed by the relay just as a request goes out on it, which then fails
        // ("connection closed before message completed"; seen in the morning-rush benchmark).
        .pool_idle_timeout(IDLE_CONNECTION)
        .build()
        .map_err(|e| ClientError::Setup(e.to_string()))
}

#[derive(Serialize)]
struct EnrollRequest<'a> {
    invite: &'a str,
}

/// What enrollment gives a device: its id and the token to keep in the keystore (the device
/// session moves it into a zeroized `DeviceToken` at once), and who it is ([`Enrollment::identity`]).
/// Never printed. An answer whose `device_id` is not a [`DeviceId`] does not decode; one without
/// the identity fields (an older relay) does.
#[derive(Clone, Deserialize)]
pub struct Enrollment {
    pub device_id: DeviceId,
    pub token: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    school_id: Option<String>,
    #[serde(default)]
    educator_id: Option<String>,
}

impl Enrollment {
    /// Who the relay enrolled this device as; `None` if it did not say (an older relay) or named
    /// a role this version does not know.
    pub fn identity(&self) -> Option<Identity> {
        Identity::from_parts(self.role.as_deref(), self.school_id.as_deref(), self.educator_id.as_deref())
    }
}

/// Largest enrollment answer read (a device id, a token and three ids are ~250 bytes).
const MAX_ENROLL_ANSWER: usize = 4 * 1024;

/// Largest error answer read to tell a revocation apart (`{"error":"revoked"}`).
const MAX_ERROR_ANSWER: usize = 1024;

/// The relay's answer to a revoked device's request.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
}

/// A 403 is a revocation only when the relay says so in its body; any other 403 is a refusal.
async fn forbidden(response: reqwest::Response) -> ClientError {
    match read_bounded(response, MAX_ERROR_ANSWER).await {
        Ok(body) => match serde_json::from_slice::<ErrorAnswer>(&body) {
            Ok(answer) if answer.error == "revoked" => ClientError::Revoked,
            _ => ClientError::Refused(403),
        },
        Err(_) => ClientError::Refused(403),
    }
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment").field("device_id", &self.device_id).field("token", &"<redacted>").finish()
    }
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
        200 => {
            let body = read_bounded(response, MAX_ENROLL_ANSWER).await?;
            serde_json::from_slice(&body).map_err(|_| ClientError::BadAnswer)
        }
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
        !matches!(
            self,
            ClientError::Unauthorized | ClientError::Revoked | ClientError::InsecureUrl | ClientError::Setup(_)
        )
    }
}

/// What a sync tells its caller while it runs. The default does nothing.
#[derive(Clone, Copy)]
pub struct SyncHooks<'a> {
    /// Where the sync stands, after every round.
    pub progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    /// Documents whose content changed because of a reply from the relay (a partner's words, a
    /// coordinator's change), as soon as that reply is stored: before the sync finishes.
    pub changed: &'a (dyn Fn(Vec<DocId>) + Send + Sync),
}

fn no_progress(_: SyncProgress) {}
fn no_changes(_: Vec<DocId>) {}

impl Default for SyncHooks<'_> {
    fn default() -> Self {
        Self { progress: &no_progress, changed: &no_changes }
    }
}

/// How long a live sync waits for news by default (the relay answers after at most 25 s anyway,
/// under the idle timeouts of the proxies in front of it).
pub const LIVE_WAIT: Duration = Duration::from_secs(20);

/// How much longer than the wait a live request may take before it counts as lost.
const LIVE_GRACE: Duration = Duration::from_secs(30);

/// Times one request is sent again after a busy relay turned it away (then it fails, `Refused(503)`,
/// and the caller's backoff takes over).
const MAX_TURNED_AWAY: u32 = 8;

/// Pause before a request whose connection failed is sent once more (plus up to as much again).
const RESEND_AFTER: Duration = Duration::from_millis(100);

/// Longest wait a relay's Retry-After is followed for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The relay's `Retry-After` (whole seconds), at most [`MAX_RETRY_AFTER`].
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let secs: u64 = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// A random part of `up_to`.
fn jitter(up_to: Duration) -> Duration {
    let mut seed = [0u8; 4];
    let _ = getrandom::fill(&mut seed);
    up_to.mul_f64(f64::from(u32::from_le_bytes(seed)) / f64::from(u32::MAX))
}

/// A device's connection to its relay. (Cloning shares the HTTP client's connections.)
#[derive(Clone)]
pub struct RelayClient {
    sync_url: reqwest::Url,
    /// Wiped from memory when the client is dropped.
    token: zeroize::Zeroizing<String>,
    http: reqwest::Client,
}

/// The first batch a session sends carries at most this many of its own messages; each next one
/// twice the last, up to the protocol's [`homevisit_protocol::MAX_BATCH_MESSAGES`].
const FIRST_PAGE_MESSAGES: usize = 125;

/// How many of its own messages the session's batch number `made` (from 0) carries at most. An
/// upload of a thousand documents as one first page kept the relay idle while the device read and
/// compressed them all; a small first page goes out at once, and each next one is prepared while
/// the relay works on the last (the relay takes about twice as long over a document as the device).
fn upload_page(made: u32) -> usize {
    FIRST_PAGE_MESSAGES.saturating_mul(1 << made.min(10)).min(homevisit_protocol::MAX_BATCH_MESSAGES)
}

/// The session's next batch, its `made`th (counted here): at most [`upload_page`] of its own
/// messages.
fn next_batch(session: &mut Session, store: &mut Store, made: &mut u32) -> Result<SyncBatch, DocFailure> {
    session.set_page_messages(upload_page(*made));
    *made += 1;
    session.outgoing(store)
}

/// Whether a request asks for the next page ahead of acknowledging the last (`?ahead=1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ahead {
    No,
    Yes,
}

/// Whether `reply` is stored while the next request is already out (pipelined): a reply of whole
/// documents only (a first download's pages) that says more follows, outside live mode. The next
/// request then carries the acknowledgements of the reply before it and asks `ahead`, so the relay
/// makes the next page while this one is stored (the relay's offer goes on from where it stopped
/// and not round to this page's documents, unacknowledged yet:
/// [`crate::Session::offer_ahead_only`]). Each page is still acknowledged only once stored.
fn downloading(reply: &SyncBatch, wait: Duration) -> bool {
    wait.is_zero()
        && reply.more
        && !reply.messages.is_empty()
        && reply.messages.iter().all(|m| m.form == homevisit_protocol::MessageForm::Snapshot)
        && reply.deleted.is_empty()
}

/// Whether the request after `out` is prepared while `out` is out (pipelined): `out` is a page of
/// an upload (whole documents and acknowledgements only) and more follows, outside live mode. The
/// relay's answer to it holds only acknowledgements and refusals (it offers nothing while the
/// device says more follows), which need not be stored before the next page goes: that answer is
/// stored while the next request is out, and a document it turned away (`Busy`) goes in a later
/// page.
fn uploading(out: &SyncBatch, wait: Duration) -> bool {
    use homevisit_protocol::MessageForm;
    wait.is_zero()
        && out.more
        && out.messages.iter().all(|m| matches!(m.form, MessageForm::Snapshot | MessageForm::Holds))
}

/// One request's answer (see [`RelayClient::round_trip`]).
struct RoundTrip {
    reply: SyncBatch,
    sent: usize,
    received: usize,
    school_shares_notes: Option<bool>,
}

impl RelayClient {
    pub fn new(base_url: &str, token: &str) -> Result<Self, ClientError> {
        let (sync_url, loopback) = checked_url(base_url, "v1/sync")?;
        Ok(Self { sync_url, token: zeroize::Zeroizing::new(token.to_string()), http: http_client(loopback)? })
    }

    /// One request; returns the answer, the (sent, received) body sizes and whether the relay
    /// said the device's school shares notes with its coordinators. With a `wait` (live mode), a
    /// request that sends nothing may be held by the relay until it has news for this device, at
    /// most that long.
    async fn round_trip(&self, batch: &SyncBatch, wait: Duration, ahead: Ahead) -> Result<RoundTrip, ClientError> {
        // Encoded for each attempt: sent again only after a busy relay turned it away.
        let mut body = Some(batch.encode());
        let sent = body.as_ref().map_or(0, Vec::len);
        let mut url = self.sync_url.clone();
        if !wait.is_zero() {
            url.set_query(Some(&format!("wait_ms={}", wait.as_millis())));
        } else if ahead == Ahead::Yes {
            url.set_query(Some("ahead=1"));
        }
        let (mut turned_away, mut resent) = (0, false);
        let response = loop {
            let mut request = self
                .http
                .post(url.clone())
                .bearer_auth(self.token.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body.take().unwrap_or_else(|| batch.encode()));
            if !wait.is_zero() {
                request = request.timeout(wait + LIVE_GRACE);
            }
            let response = match request.send().await {
                Ok(response) => response,
                // The connection failed before an answer came (most often a kept-alive
                // connection the relay closed as the request went out): sent once more, on a new
                // one. Safe: a sync request the relay did receive, sent again, changes nothing
                // more and is answered again (a lost answer only means the device asks again). A
                // request that timed out is not: the relay is slow, not gone.
                Err(e) if !resent && !e.is_timeout() => {
                    resent = true;
                    tokio::time::sleep(RESEND_AFTER + jitter(RESEND_AFTER)).await;
                    continue;
                }
                Err(e) => return Err(ClientError::Unreachable(e)),
            };
            // A busy relay turns a request away before doing anything of it (503 with
            // Retry-After): sent again after that time, and up to as much again at random so the
            // turned-away do not all return at once. A 503 without it is some other failure.
            match (response.status().as_u16(), retry_after(&response)) {
                (503, Some(after)) if turned_away < MAX_TURNED_AWAY => {
                    turned_away += 1;
                    tokio::time::sleep(after + jitter(after)).await;
                }
                _ => break response,
            }
        };
        match response.status().as_u16() {
            200 => {}
            401 => return Err(ClientError::Unauthorized),
            403 => return Err(forbidden(response).await),
            429 => return Err(ClientError::RateLimited),
            other => return Err(ClientError::Refused(other)),
        }
        let shares = response.headers().get(homevisit_protocol::NOTES_SHARED_HEADER).and_then(|v| match v.as_bytes() {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        });
        let body = read_bounded(response, homevisit_protocol::MAX_BODY_BYTES).await?;
        Ok(RoundTrip { reply: SyncBatch::decode(&body)?, sent, received: body.len(), school_shares_notes: shares })
    }

    /// Syncs `store` with the relay. The store is locked only while a batch is built or applied,
    /// never while a request is on the network. An error part-way persists nothing of this
    /// session; edits already applied stay applied, and the next sync starts fresh and converges.
    pub async fn sync(&self, store: &Mutex<Store>) -> Result<SyncReport, ClientError> {
        self.sync_with(store, SyncHooks::default()).await
    }

    /// [`RelayClient::sync`], reporting progress after every round.
    pub async fn sync_with_progress(
        &self,
        store: &Mutex<Store>,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport, ClientError> {
        self.sync_with(store, SyncHooks { progress, ..SyncHooks::default() }).await
    }

    /// [`RelayClient::sync`], telling `hooks` how it goes.
    pub async fn sync_with(&self, store: &Mutex<Store>, hooks: SyncHooks<'_>) -> Result<SyncReport, ClientError> {
        let done = self.session(store, Duration::ZERO, hooks, std::future::pending()).await?;
        Ok(done.unwrap_or_default()) // never interrupted: the interruption never comes
    }

    /// Live mode: a sync that, when this device has nothing to send, waits up to `wait` (at most
    /// 25 s, the relay's cap) for the relay to have something for it, and applies what arrives.
    /// With something to send, it syncs at once, like [`RelayClient::sync`]. Either way it returns
    /// when this exchange is settled; call it again to keep listening. `report.changed` lists the
    /// documents that changed here; a report with no messages received means the wait ended with
    /// nothing new.
    pub async fn sync_live(&self, store: &Mutex<Store>, wait: Duration) -> Result<SyncReport, ClientError> {
        let done = self.sync_live_with(store, wait, SyncHooks::default(), std::future::pending()).await?;
        Ok(done.unwrap_or_default()) // never interrupted: the interruption never comes
    }

    /// [`RelayClient::sync_live`], telling `hooks` how it goes (`changed` as soon as a reply is
    /// stored), and giving up the wait when `interrupt` completes (a local edit to push: call again
    /// at once). Returns `Ok(None)` if interrupted while waiting, when nothing had happened yet;
    /// once the relay has answered, the exchange runs to its end.
    pub async fn sync_live_with(
        &self,
        store: &Mutex<Store>,
        wait: Duration,
        hooks: SyncHooks<'_>,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Option<SyncReport>, ClientError> {
        self.session(store, wait, hooks, interrupt).await
    }

    /// One sync session (see [`RelayClient::sync`]); the first request waits up to `wait` for news
    /// when there is nothing to send, unless `interrupt` comes first.
    async fn session(
        &self,
        store: &Mutex<Store>,
        wait: Duration,
        hooks: SyncHooks<'_>,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Option<SyncReport>, ClientError> {
        let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
        let mut session = Session::new(RELAY_PEER.clone());
        let mut interrupt = std::pin::pin!(interrupt);
        // Rounds in which either side sends a full page and says more follows do not count
        // against MAX_ROUNDS (a first sync of a large school is many pages), up to MAX_PAGES.
        let (mut round, mut unpaged) = (0, 0);
        let mut deleted = BTreeSet::new();
        // What the relay last said about the school sharing notes, kept with the session's state.
        let mut shares = None;
        // Stores a reply: one commit for the whole reply, however many documents it carries.
        // Every document it changed is announced, even one an earlier reply of this session
        // changed too (a live session receives a partner's edits to one field one after another).
        let store_reply = |session: &mut Session, reply: &SyncBatch| -> Result<(), ClientError> {
            let before = session.change_count();
            lock().batch(|store| session.incoming(store, reply))?;
            let moved = session.changed_since(before);
            if !moved.is_empty() {
                (hooks.changed)(moved);
            }
            Ok(())
        };
        let finish = |session: Session, shares: Option<bool>| {
            lock().batch(|store| {
                if shares.is_some() {
                    crate::identity::save_school_shares_notes(store, shares)?;
                }
                session.finish(store)
            })
        };
        // Work done while a request is out, not before or after it (see `downloading` and
        // `uploading`): a reply
        // held to be stored then (and whether it was a download's page, so the request asks
        // ahead), and the next request, prepared then.
        let mut unstored: Option<(SyncBatch, Ahead)> = None;
        let mut prepared: Option<SyncBatch> = None;
        // How many batches this session has made: the first are small (see `upload_page`).
        let mut made = 0u32;
        while unpaged < MAX_ROUNDS && round < MAX_PAGES {
            let out = match prepared.take() {
                Some(out) => out,
                None => next_batch(&mut session, &mut lock(), &mut made)?,
            };
            let (done, total, report) = session.progress();
            (hooks.progress)(SyncProgress {
                round,
                documents_done: done,
                documents_total: total,
                bytes_sent: report.bytes_sent,
                bytes_received: report.bytes_received,
            });
            // After the first round trip (which also asks the relay what it has for us), having
            // nothing to say means every document is settled: the relay answers each message in
            // the same response, so nothing is left pending on its side.
            if unstored.is_none() && round > 0 && out.messages.is_empty() && !session.peer_has_more() {
                let report = settled(finish(session, shares)?);
                self.delete_and_confirm(store, &deleted).await?;
                return Ok(Some(report));
            }
            // Only a request with nothing to say waits: it is a question, "anything for me?".
            let poll = round == 0 && out.messages.is_empty() && !wait.is_zero();
            let out_more = out.more;
            let prepare_next = uploading(&out, wait);
            let answer = if unstored.is_some() || prepare_next {
                // The request goes out on its own task while this one stores the last reply and
                // prepares the next request. (On a runtime of one thread it goes out once they
                // are done: the same requests, in turn.)
                let ahead = unstored.as_ref().map_or(Ahead::No, |(_, ahead)| *ahead);
                let request = tokio::spawn({
                    let client = self.clone();
                    async move { client.round_trip(&out, wait, ahead).await }
                });
                let stored = match unstored.take() {
                    Some((reply, _)) => store_reply(&mut session, &reply),
                    None => Ok(()),
                };
                let next = match (&stored, prepare_next) {
                    (Ok(()), true) => Some(next_batch(&mut session, &mut lock(), &mut made)),
                    _ => None,
                };
                let answer = match request.await {
                    Ok(answer) => answer,
                    // A panic in the request is this sync's, as it would be on this task.
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(_) => Err(ClientError::Interrupted),
                };
                stored?;
                prepared = next.transpose()?;
                answer?
            } else if poll {
                tokio::select! {
                    biased;
                    _ = &mut interrupt => return Ok(None),
                    answer = self.round_trip(&out, wait, Ahead::No) => answer?,
                }
            } else {
                // In live mode every request says so: the relay paces it, rather than refusing it,
                // when this device is briefly over its rate limit; it answers it at once.
                self.round_trip(&out, wait, Ahead::No).await?
            };
            let RoundTrip { reply, sent, received, school_shares_notes } = answer;
            shares = school_shares_notes.or(shares);
            session.count_bodies(sent, received);
            // (A round the relay answered in part, `Busy` for the rest, pages too.)
            let busy = reply.rejected.iter().any(|r| r.reason == homevisit_protocol::RejectReason::Busy);
            if !(out_more || reply.more || busy) {
                unpaged += 1;
            }
            round += 1;
            // Documents the district deleted: deleted here once the session is settled.
            deleted.extend(reply.deleted.iter().filter_map(|w| DocId::try_from(*w).ok()));
            if downloading(&reply, wait) {
                unstored = Some((reply, Ahead::Yes));
            } else if prepared.is_some() {
                // The next request is ready: it goes out first, and this reply (acknowledgements
                // of an upload's page) is stored while it is out.
                unstored = Some((reply, Ahead::No));
            } else {
                store_reply(&mut session, &reply)?;
            }
        }
        if wait.is_zero() {
            return Err(ClientError::TooManyRounds(MAX_ROUNDS));
        }
        // Live: a partner typing while this session runs keeps it going (each answer brings the
        // next edit). Persisting what is settled is always safe (a state keeps only the heads
        // both sides declared, and a document is marked only where they match), so the session
        // ends here and the caller's next one continues.
        let report = settled(finish(session, shares)?);
        self.delete_and_confirm(store, &deleted).await?;
        Ok(Some(report))
    }

    /// Deletes the documents the relay said the district deleted, with their history
    /// ([`Store::purge_documents`]), and confirms it to the relay. If the confirmation does not
    /// arrive, the relay says so again at the next sync and the (idempotent) deletion is repeated.
    async fn delete_and_confirm(&self, store: &Mutex<Store>, deleted: &BTreeSet<DocId>) -> Result<(), ClientError> {
        if deleted.is_empty() {
            return Ok(());
        }
        let ids: Vec<DocId> = deleted.iter().copied().collect();
        store.lock().unwrap_or_else(|p| p.into_inner()).purge_documents(&ids).map_err(crate::store_failure)?;
        let mut confirm = SyncBatch::new(Vec::new());
        confirm.confirmed_deleted = ids.into_iter().map(Into::into).collect();
        // Its answer may offer more; the next sync takes it.
        self.round_trip(&confirm, Duration::ZERO, Ahead::No).await?;
        Ok(())
    }
}

/// The body of a relay's answer, refused as soon as it passes the protocol's limit (a relay, or
/// something posing as one, cannot make the phone hold more than that in memory).
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ClientError> {
    if let Some(len) = response.content_length()
        && len > limit as u64
    {
        return Err(ClientError::Protocol(homevisit_protocol::ProtocolError::TooLarge(len as usize)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ClientError::Unreachable)? {
        if body.len() + chunk.len() > limit {
            return Err(ClientError::Protocol(homevisit_protocol::ProtocolError::TooLarge(body.len() + chunk.len())));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A finished session's report, its changed documents in id order.
fn settled(mut report: SyncReport) -> SyncReport {
    report.changed.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_pages_start_small_and_double_up_to_the_protocols_bound() {
        let pages: Vec<usize> = (0..6).map(upload_page).collect();
        assert_eq!(pages, [125, 250, 500, 1000, 1000, 1000]);
        assert_eq!(upload_page(u32::MAX), homevisit_protocol::MAX_BATCH_MESSAGES);
        // A thousand documents go in four batches, the first of them out after reading 125.
        let mut left = 1000usize;
        let mut batches = 0u32;
        while left > 0 {
            left = left.saturating_sub(upload_page(batches));
            batches += 1;
        }
        assert_eq!(batches, 4);
    }
}
