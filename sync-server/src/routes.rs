//! HTTP handlers. Responses and logs carry ids and counts only, never document content.
//! `POST /v1/sync?wait_ms=N` is live mode (see [`crate::live`]); `?ahead=1` asks for the next
//! page of a download while the device stores the last ([`requested_ahead`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use homevisit_protocol::{MAX_BODY_BYTES, SyncBatch};
use homevisit_sync::DeviceId;
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent};
use crate::backend::{SyncOutcome, SyncRequest};
use crate::policy::NotesSharing;
use crate::{Device, Relay, live};

pub(crate) fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync", post(sync))
        .merge(crate::dashboard::router(relay.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay)
}

async fn metrics(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    let load = relay.admission.load();
    relay.metrics.sync_running.set(load.running as i64);
    relay.metrics.sync_waiting.set(load.waiting as i64);
    relay.metrics.sync_reading.set(load.reading as i64);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], relay.metrics.encode())
}

/// An error answer: a status and a short, content-free reason (a JSON one, `{...}`, is sent as
/// JSON).
pub(crate) struct ApiError(StatusCode, &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            let after = crate::admission::RETRY_AFTER_SECS.to_string();
            return (self.0, [(header::RETRY_AFTER, after)], self.1).into_response();
        }
        if self.1.starts_with('{') {
            return (self.0, [(header::CONTENT_TYPE, "application/json")], self.1).into_response();
        }
        (self.0, self.1).into_response()
    }
}

/// The answer (with 403) to a request whose token belonged to a device that was revoked: the
/// phone wipes its store when it sees it (`homevisit_sync::client::ClientError::Revoked`).
pub const REVOKED: &str = r#"{"error":"revoked"}"#;

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    // A device can cause these at will (a request that fails inside the store): rate-limited.
    static INTERNAL: crate::log_limit::LogLimit = crate::log_limit::LogLimit::new(Duration::from_secs(10));
    if let Some(suppressed) = INTERNAL.admit() {
        tracing::error!(error = %e, suppressed, "internal error");
    }
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

#[derive(Deserialize)]
struct EnrollRequest {
    invite: String,
}

/// The enrollment answer: the device's id and token, and who it is (its role, school and, for an
/// educator, educator id) so the phone can show it. Ids only. Older phones ignore the fields they
/// do not know.
#[derive(Serialize)]
struct EnrollResponse {
    device_id: String,
    token: String,
    role: &'static str,
    school_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    educator_id: Option<String>,
}

/// Largest enrollment body read: `{"invite": "<24 hex>"}` is ~40 bytes. Nothing more is read
/// (an unauthenticated client must not make the relay buffer megabytes), and an over-long code in
/// it is refused before it is hashed (`AccessStore::enroll`).
const MAX_ENROLL_BODY: usize = 4 * 1024;

async fn enroll(State(relay): State<Arc<Relay>>, body: axum::body::Body) -> Result<Json<EnrollResponse>, ApiError> {
    let read =
        tokio::time::timeout(relay.connection_limits.body_read_timeout, axum::body::to_bytes(body, MAX_ENROLL_BODY));
    let body = read
        .await
        .map_err(|_| ApiError(StatusCode::REQUEST_TIMEOUT, "the body took too long to arrive"))?
        .map_err(|_| ApiError(StatusCode::PAYLOAD_TOO_LARGE, "an enrollment is a few bytes"))?;
    let req: EnrollRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, "expected {\"invite\": \"<code>\"}"))?;
    let result = tokio::task::spawn_blocking(move || {
        let enrolled = relay.access().enroll(req.invite.trim());
        if let Ok((device, _)) = &enrolled {
            audit_enrollment(&relay, device);
        }
        enrolled
    })
    .await
    .map_err(internal)?;
    match result {
        Ok((device, token)) => {
            tracing::info!(device = %device.device_id, role = %device.role, "device enrolled");
            Ok(Json(EnrollResponse {
                device_id: device.device_id.to_string(),
                token,
                role: device.role.as_str(),
                school_id: device.school_id.to_string(),
                educator_id: device.role.educator_column(),
            }))
        }
        Err(crate::AccessError::BadInvite) => {
            Err(ApiError(StatusCode::UNAUTHORIZED, "unknown, used or expired invite code"))
        }
        Err(e) => Err(internal(e)),
    }
}

/// Writes an enrollment to the audit trail (best effort: the device is enrolled either way).
fn audit_enrollment(relay: &Relay, device: &Device) {
    let enrolled =
        AuditEvent::Enrolled { device: device.device_id.clone(), school: device.school_id, role: device.role };
    if let Err(e) = relay.audit().append(&Actor::Device(device.device_id.clone()), &[enrolled]) {
        tracing::warn!(error = %e, "could not write an enrollment to the audit trail");
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    // A token is 64 hex characters: anything far longer is not one, and is not hashed.
    (token.len() <= MAX_TOKEN_CHARS).then(|| token.to_string())
}

/// Longest bearer token considered (tokens are 64 hex characters).
const MAX_TOKEN_CHARS: usize = 128;

/// How long a client may take to send a sync body once its request is authenticated, by default
/// (`HOMEVISIT_RELAY_BODY_TIMEOUT_SECS`): a 16 MB body over a slow rural link takes well under
/// this; a client that stalls longer is cut off (408) rather than holding a connection and a
/// buffer.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

async fn sync(
    State(relay): State<Arc<Relay>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<([(&'static str, &'static str); 1], Vec<u8>), ApiError> {
    let metrics_relay = relay.clone();
    let result = sync_request(relay, uri.query(), headers, body).await;
    let m = &metrics_relay.metrics;
    match &result {
        Ok(answer) => {
            m.count("sync", 200);
            m.bytes_out.inc_by(answer.reply.len() as u64);
            m.sync_seconds.observe(answer.busy.as_secs_f64());
        }
        Err(ApiError(status, _)) => m.count("sync", status.as_u16()),
    }
    result.map(|answer| {
        let shares = if answer.school_shares_notes { "true" } else { "false" };
        ([(homevisit_protocol::NOTES_SHARED_HEADER, shares)], answer.reply)
    })
}

/// A sync request's answer: the encoded reply, the time the relay spent on it (not waiting), and
/// whether the device's school shares notes with its coordinators (sent as a header).
struct SyncAnswer {
    reply: Vec<u8>,
    busy: Duration,
    school_shares_notes: bool,
}

/// An authenticated device, as of its request.
#[derive(Clone)]
struct Caller {
    device: Device,
    /// Which schools share notes with their coordinators (as far as this device needs).
    notes: NotesSharing,
    /// Whether the device's own school shares notes with its coordinators (told to the phone);
    /// `None` where not asked (a live wait's looks, whose answer is the request's own).
    school_shares_notes: Option<bool>,
}

/// The device `token` belongs to, unless it is unknown or revoked; with `tell_policy`, also what
/// its own school's notes policy is. Runs on a blocking thread.
async fn authenticate(relay: &Arc<Relay>, token: &str, tell_policy: bool) -> Result<Caller, ApiError> {
    let (relay, token) = (relay.clone(), token.to_string());
    tokio::task::spawn_blocking(move || {
        let access = relay.access();
        let Some(device) = access.authenticate(&token).map_err(internal)? else {
            // A token that was valid and then revoked is told so (its phone wipes itself); any
            // other is the plain 401, so guessing tokens learns nothing new.
            return Err(match access.revoked(&token).map_err(internal)? {
                true => ApiError(StatusCode::FORBIDDEN, REVOKED),
                false => ApiError(StatusCode::UNAUTHORIZED, "unknown device"),
            });
        };
        let notes = NotesSharing::for_device(access, &device).map_err(internal)?;
        let school_shares_notes =
            if tell_policy { Some(notes.own_school_shares(access, &device).map_err(internal)?) } else { None };
        Ok(Caller { device, notes, school_shares_notes })
    })
    .await
    .map_err(internal)?
}

/// Takes `turns` of the device's budget: at once if it has them; a live request (which is paced,
/// not refused: partners typing fast are slowed down, not sent into a retry backoff) waits up to
/// [`live::MAX_TURN_WAIT`] a few times; else 429. Returns the time it waited.
async fn take_turns(relay: &Relay, device: &DeviceId, turns: u32, paced: bool) -> Result<Duration, ApiError> {
    let mut waited = Duration::ZERO;
    for _ in 0..4 {
        let not_until = match relay.limiter.take(device, turns).await {
            Ok(()) => return Ok(waited),
            Err(not_until) => not_until,
        };
        if !paced || not_until > live::MAX_TURN_WAIT {
            break;
        }
        waited += not_until;
        tokio::time::sleep(not_until).await;
    }
    Err(too_many_requests())
}

/// A sync body's declared length (`Content-Length`), if it has one (a chunked body has none);
/// one over [`MAX_BODY_BYTES`] is refused before anything of it is charged or read.
fn declared_length(headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
    let Some(value) = headers.get(axum::http::header::CONTENT_LENGTH) else { return Ok(None) };
    let too_large = ApiError(StatusCode::PAYLOAD_TOO_LARGE, "the body is over the limit, or was cut off");
    match value.to_str().ok().and_then(|v| v.parse::<usize>().ok()) {
        Some(len) if len <= MAX_BODY_BYTES => Ok(Some(len)),
        Some(_) => Err(too_large),
        // hyper refuses a malformed length before a handler runs; none is charged here.
        None => Ok(None),
    }
}

/// Reads a sync body: at most [`MAX_BODY_BYTES`], within the body timeout.
async fn read_body(relay: &Relay, body: Body) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(relay.connection_limits.body_read_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES))
        .await
    {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError(StatusCode::PAYLOAD_TOO_LARGE, "the body is over the limit, or was cut off")),
        Err(_) => Err(ApiError(StatusCode::REQUEST_TIMEOUT, "the body took too long to arrive")),
    }
}

/// A sync request let in, before its body is read.
struct LetIn {
    /// How long it may wait for news (zero: answered at once).
    wait: Duration,
    /// The device asked for the next page ahead ([`requested_ahead`]).
    ahead: bool,
    token: String,
    caller: Caller,
    /// How long it waited for its turn and for room for its body (not work).
    paced: Duration,
    /// What its turn and declared length paid of the device's budget.
    paid: u32,
    /// Its place in line for a permit, taken now, entered once the body is read.
    place: crate::admission::Reserved,
    /// The memory its body takes ([`crate::body_budget`]), held until it is answered.
    room: crate::body_budget::BodyRoom,
}

/// Lets a sync request in, or refuses it, before its body is read: the device is authenticated,
/// charged its turn and its body's declared length under its budget (refused, 429, if the budget
/// cannot pay for them; a live request waits a little), given a place in line (turned away, 503,
/// if the line is full or holds two of the device's already) and room for its body (503 if none
/// frees up in time). It waits for a permit to be worked on only once its body is in, so a body
/// sent slowly holds no permit.
async fn admit(relay: &Arc<Relay>, query: Option<&str>, headers: &HeaderMap) -> Result<LetIn, ApiError> {
    let wait = live::requested_wait(query).ok_or(ApiError(StatusCode::BAD_REQUEST, "wait_ms must be milliseconds"))?;
    let token = bearer(headers).ok_or(ApiError(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    let caller = authenticate(relay, &token, true).await?;
    let declared = declared_length(headers)?;
    let paid = relay.limiter.request_cost(declared);
    let paced = take_turns(relay, &caller.device.device_id, paid, !wait.is_zero()).await?;
    let place = relay.admission.reserve(&caller.device.device_id).map_err(|_| overloaded())?;
    let waited = Instant::now();
    let room = relay.bodies.reserve(declared).await.map_err(|_| overloaded())?;
    Ok(LetIn { wait, ahead: requested_ahead(query), token, caller, paced: paced + waited.elapsed(), paid, place, room })
}

/// `ahead=1` in the query: the device is still storing the last answer (a download's page) and
/// asks for the next page before acknowledging it, so the offer goes on from where the last one
/// stopped and not round to the documents that page offered
/// ([`homevisit_sync::Session::offer_ahead_only`]). Anything else: an ordinary request.
fn requested_ahead(query: Option<&str>) -> bool {
    query.unwrap_or_default().split('&').any(|pair| pair == "ahead=1")
}

/// Answers a sync request: the device is authenticated and given its turn under its rate limit
/// before its body is read; a live one (`wait_ms`, see [`crate::live`]) that only asks, and has
/// nothing to receive yet, waits for news first. Returns the answer and the time spent working
/// on it (sessions, not waits or pacing).
async fn sync_request(
    relay: Arc<Relay>,
    query: Option<&str>,
    headers: HeaderMap,
    body: Body,
) -> Result<SyncAnswer, ApiError> {
    let started = Instant::now();
    let LetIn { wait, ahead, token, caller, paced, paid, place, room } = match admit(&relay, query, &headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => {
            crate::refused_body::discard(body);
            return Err(refusal);
        }
    };
    let body = read_body(&relay, body).await?;
    // The body is in: now wait for a permit (its wait is not work).
    let in_line = Instant::now();
    let admitted = place.enter().await.map_err(|_| overloaded())?;
    let paced = paced + in_line.elapsed();
    relay.metrics.bytes_in.inc_by(body.len() as u64);
    let batch = SyncBatch::decode(&body)
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, "not a sync batch of this protocol version"))?;
    // What the batch carries costs more of the device's budget than its turn and body did.
    let rest = relay.limiter.rest_cost(paid, batch.messages.len(), body.len());
    relay.limiter.take(&caller.device.device_id, rest).await.map_err(|_| too_many_requests())?;
    drop(body);
    // Answered in the version the device spoke (an old app gets version 2's form).
    let version = batch.version;
    // Subscribed before the session runs: a change stored meanwhile wakes the wait below.
    let changes = relay.changes.subscribe();
    let sent_something = has_news(&batch);
    let admitted = Arc::new(admitted);
    let reply = run_session(&relay, &caller, batch, Some(admitted.clone()), ahead).await?;
    drop(admitted); // a live wait below holds no permit (its looks are small and paced)
    drop(room); // nor room for a body: the batch is gone
    let busy = AtomicU64::new(nanos(started.elapsed().saturating_sub(paced)));
    // Only a question ("anything for me?") waits; a request that sends something is a round of a
    // session in progress (or a push), answered at once.
    let school_shares_notes = caller.school_shares_notes == Some(true);
    if wait.is_zero() || sent_something || has_news(&reply) {
        return Ok(SyncAnswer {
            reply: reply.encode(),
            busy: Duration::from_nanos(busy.into_inner()),
            school_shares_notes,
        });
    }
    let deadline = tokio::time::Instant::now() + wait;
    let ticket = relay.waits.enter(&caller.device.device_id);
    let look = || {
        let (relay, token, busy, device_id) = (relay.clone(), token.clone(), &busy, caller.device.device_id.clone());
        async move {
            // A look is a request of the device's: it waits its turn under the rate limit (news
            // every few milliseconds in its school must not make it run a session for each).
            wait_turn(&relay, &device_id).await;
            relay.metrics.live_looks.inc();
            let started = Instant::now();
            // Authenticated again, so a revocation during a wait takes effect.
            let caller = authenticate(&relay, &token, false).await?;
            let mut ask = SyncBatch::new(Vec::new());
            ask.version = version;
            let reply = run_session(&relay, &caller, ask, None, false).await;
            busy.fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
            let reply = reply?;
            Ok::<_, ApiError>(has_news(&reply).then_some(reply))
        }
    };
    let Caller { device, notes, .. } = &caller;
    let signals = live::Signals {
        changes,
        relevant: |a: &live::Announcement| a.concerns(device, notes),
        shutting_down: relay.shutting_down.subscribe(),
        ticket: &ticket,
    };
    let (woken, looks) = live::wait_for_news(signals, deadline, look).await?;
    tracing::debug!(device = %device.device_id, outcome = woken.name(), looks, "live wait");
    let reply = match woken {
        live::Woken::News(reply) => reply,
        live::Woken::Deadline | live::Woken::ShuttingDown | live::Woken::Superseded => reply,
    };
    Ok(SyncAnswer { reply: reply.encode(), busy: Duration::from_nanos(busy.into_inner()), school_shares_notes })
}

/// Sleeps until the device's rate limit allows another request.
async fn wait_turn(relay: &Relay, device: &DeviceId) {
    while let Err(not_until) = relay.limiter.take(device, 1).await {
        tokio::time::sleep(not_until).await;
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Whether a batch carries anything (messages, refusals, deletions or their confirmations).
fn has_news(reply: &SyncBatch) -> bool {
    !reply.messages.is_empty()
        || !reply.rejected.is_empty()
        || !reply.deleted.is_empty()
        || !reply.confirmed_deleted.is_empty()
}

/// The relay is at its admission limits ([`crate::admission`]): nothing of the request was done.
fn overloaded() -> ApiError {
    ApiError(StatusCode::SERVICE_UNAVAILABLE, "the relay is busy; retry after the time it gives")
}

fn too_many_requests() -> ApiError {
    ApiError(StatusCode::TOO_MANY_REQUESTS, "too many requests from this device; retry shortly")
}

/// Runs one sync session for an authenticated device over `batch` (empty: a live request looking
/// again) on a blocking thread, and announces what it stored to the live requests it concerns.
/// `admitted`: its permit, which paces it between steps if its device is heavy (a live look has
/// none).
async fn run_session(
    relay: &Arc<Relay>,
    caller: &Caller,
    batch: SyncBatch,
    admitted: Option<Arc<crate::admission::Admitted>>,
    ahead: bool,
) -> Result<SyncBatch, ApiError> {
    let (relay, caller) = (relay.clone(), caller.clone());
    tokio::task::spawn_blocking(move || {
        // (A live request's wait is not work: only its sessions count.)
        let _busy = relay.syncs_in_progress.enter();
        let pace = |step| {
            if let Some(admitted) = &admitted {
                admitted.pace(step, || relay.backend.storage_busy());
            }
        };
        let request = SyncRequest {
            device: &caller.device,
            notes: &caller.notes,
            batch: &batch,
            bounds: &relay.bounds,
            between_steps: &pace,
            alone: &|| relay.backend.longer_parts_when_alone() && relay.admission.load().alone(),
            ahead,
        };
        // A panic while answering (a bug: received bytes are contained further in) fails this
        // request only: its transactions roll back as the panic unwinds, and nothing of it is
        // acknowledged.
        let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| relay.backend.sync(&request)))
            .unwrap_or_else(|_| Err(crate::RelayError::Io("a contained panic while answering a sync".into())));
        let SyncOutcome { mut reply, report, changed } = answered.map_err(internal)?;
        reply.version = batch.version;
        crate::deletion::exchange(&relay, &caller.device, &batch, &mut reply).map_err(internal)?;
        if !changed.is_empty() {
            relay.announce(live::Announcement::Changed(changed.into()));
            crate::unloaded_check::start(&relay);
        }
        relay.metrics.messages_in.inc_by(report.messages_received as u64);
        relay.metrics.messages_out.inc_by(report.messages_sent as u64);
        relay.metrics.refused.inc_by(report.refused_by_us.len() as u64);
        crate::audit::record_refusals(&relay, &caller.device.device_id, &report.refused_by_us);
        tracing::info!(
            device = %caller.device.device_id,
            messages_in = report.messages_received,
            messages_out = report.messages_sent,
            refused = report.refused_by_us.len(),
            live_look = batch.messages.is_empty() && batch.rejected.is_empty(),
            "sync"
        );
        Ok(reply)
    })
    .await
    .map_err(internal)?
}
