//! HTTP handlers. Responses and logs carry ids and counts only, never document content.
//! `POST /v1/sync?wait_ms=N` is live mode (see [`crate::live`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use governor::clock::Clock;
use homevisit_protocol::{MAX_BODY_BYTES, SyncBatch};
use serde::{Deserialize, Serialize};

use crate::backend::{SyncOutcome, SyncRequest};
use crate::{Relay, live};

pub(crate) fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync", post(sync))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay)
}

async fn metrics(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], relay.metrics.encode())
}

/// An error answer: a status and a short, content-free reason.
pub(crate) struct ApiError(StatusCode, &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    tracing::error!(error = %e, "internal error");
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

#[derive(Deserialize)]
struct EnrollRequest {
    invite: String,
}

#[derive(Serialize)]
struct EnrollResponse {
    device_id: String,
    token: String,
}

/// Largest enrollment body read: `{"invite": "<24 hex>"}` is ~40 bytes. Nothing more is read
/// (an unauthenticated client must not make the relay buffer megabytes), and an over-long code in
/// it is refused before it is hashed (`AccessStore::enroll`).
const MAX_ENROLL_BODY: usize = 4 * 1024;

async fn enroll(State(relay): State<Arc<Relay>>, body: axum::body::Body) -> Result<Json<EnrollResponse>, ApiError> {
    let body = axum::body::to_bytes(body, MAX_ENROLL_BODY)
        .await
        .map_err(|_| ApiError(StatusCode::PAYLOAD_TOO_LARGE, "an enrollment is a few bytes"))?;
    let req: EnrollRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, "expected {\"invite\": \"<code>\"}"))?;
    let result =
        tokio::task::spawn_blocking(move || relay.access().enroll(req.invite.trim())).await.map_err(internal)?;
    match result {
        Ok((device, token)) => {
            tracing::info!(device = %device.device_id, role = %device.role, "device enrolled");
            Ok(Json(EnrollResponse { device_id: device.device_id, token }))
        }
        Err(crate::AccessError::BadInvite) => {
            Err(ApiError(StatusCode::UNAUTHORIZED, "unknown, used or expired invite code"))
        }
        Err(e) => Err(internal(e)),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

async fn sync(State(relay): State<Arc<Relay>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Result<Vec<u8>, ApiError> {
    let metrics_relay = relay.clone();
    let result = sync_request(relay, uri.query(), headers, body).await;
    let m = &metrics_relay.metrics;
    match &result {
        Ok((reply, busy)) => {
            m.count("sync", 200);
            m.bytes_out.inc_by(reply.len() as u64);
            m.sync_seconds.observe(busy.as_secs_f64());
        }
        Err(ApiError(status, _)) => m.count("sync", status.as_u16()),
    }
    result.map(|(reply, _)| reply)
}

/// Answers a sync request; a live one (`wait_ms`, see [`crate::live`]) that only asks, and has
/// nothing to receive yet, waits for news first. Returns the answer and the time spent working on
/// it (sessions, not waits).
async fn sync_request(
    relay: Arc<Relay>,
    query: Option<&str>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(Vec<u8>, Duration), ApiError> {
    let started = Instant::now();
    let wait = live::requested_wait(query).ok_or(ApiError(StatusCode::BAD_REQUEST, "wait_ms must be milliseconds"))?;
    let token = bearer(&headers).ok_or(ApiError(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    relay.metrics.bytes_in.inc_by(body.len() as u64);
    // Subscribed before the session runs: a change stored meanwhile wakes the wait below.
    let changes = relay.changes.subscribe();
    let (mut turns, mut paced) = (0, Duration::ZERO);
    let Answered { device_id, reply, sent_something } = loop {
        let (relay, token, body) = (relay.clone(), token.clone(), body.clone());
        match tokio::task::spawn_blocking(move || answer(&relay, &token, Some(&body))).await.map_err(internal)? {
            Ok(answered) => break answered,
            // A live request over its device's limit waits its turn, briefly, instead of being
            // refused: partners typing fast are slowed down, not sent into a retry backoff.
            Err(Unanswered::Limited(turn)) if !wait.is_zero() && turn <= live::MAX_TURN_WAIT && turns < 3 => {
                turns += 1;
                paced += turn;
                tokio::time::sleep(turn).await;
            }
            Err(Unanswered::Limited(_)) => return Err(too_many_requests()),
            Err(Unanswered::Refused(e)) => return Err(e),
        }
    };
    let busy = AtomicU64::new(nanos(started.elapsed().saturating_sub(paced)));
    // Only a question ("anything for me?") waits; a request that sends something is a round of a
    // session in progress (or a push), answered at once.
    if wait.is_zero() || sent_something || has_news(&reply) {
        return Ok((reply.encode(), Duration::from_nanos(busy.into_inner())));
    }
    let deadline = tokio::time::Instant::now() + wait;
    let shutting_down = relay.shutting_down.subscribe();
    let look = || {
        let (relay, token, busy) = (relay.clone(), token.clone(), &busy);
        async move {
            let started = Instant::now();
            let looked = tokio::task::spawn_blocking(move || answer(&relay, &token, None)).await.map_err(internal);
            busy.fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
            let reply = looked?.map_err(Unanswered::into_api_error)?.reply;
            Ok::<_, ApiError>(has_news(&reply).then_some(reply))
        }
    };
    let (woken, looks) = live::wait_for_news(changes, shutting_down, deadline, look).await?;
    tracing::debug!(device = %device_id, outcome = woken.name(), looks, "live wait");
    let reply = match woken {
        live::Woken::News(reply) => reply,
        live::Woken::Deadline | live::Woken::ShuttingDown => reply,
    };
    Ok((reply.encode(), Duration::from_nanos(busy.into_inner())))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Whether a batch carries anything (messages or refusals).
fn has_news(reply: &SyncBatch) -> bool {
    !reply.messages.is_empty() || !reply.rejected.is_empty()
}

/// One session's answer.
struct Answered {
    device_id: String,
    reply: SyncBatch,
    /// Whether the request carried messages or refusals (and was not only a question).
    sent_something: bool,
}

/// Why [`answer`] ran no session.
enum Unanswered {
    Refused(ApiError),
    /// The device is over its rate limit; its next request is allowed after this long.
    Limited(Duration),
}

impl From<ApiError> for Unanswered {
    fn from(e: ApiError) -> Self {
        Unanswered::Refused(e)
    }
}

impl Unanswered {
    fn into_api_error(self) -> ApiError {
        match self {
            Unanswered::Refused(e) => e,
            Unanswered::Limited(_) => too_many_requests(),
        }
    }
}

fn too_many_requests() -> ApiError {
    ApiError(StatusCode::TOO_MANY_REQUESTS, "too many requests from this device; retry shortly")
}

/// Authenticates `token` and answers one sync session for its device: over the request's `body`,
/// or, with `None`, over an empty batch (a live request looking again: the device is
/// authenticated again, so a revocation during a wait takes effect, but the look does not count
/// against the rate limit, the request it belongs to did). Runs on a blocking thread.
fn answer(relay: &Relay, token: &str, body: Option<&[u8]>) -> Result<Answered, Unanswered> {
    let (device, coordinators_read_notes) = {
        let access = relay.access();
        let device = access
            .authenticate(token)
            .map_err(internal)?
            .ok_or(ApiError(StatusCode::UNAUTHORIZED, "unknown or revoked device"))?;
        let shared = access.coordinators_read_notes(&device.school_id).map_err(internal)?;
        (device, shared)
    };
    let batch = match body {
        Some(body) => {
            if let Err(not_until) = relay.limiter.check_key(&device.device_id) {
                return Err(Unanswered::Limited(not_until.wait_time_from(relay.limiter.clock().now())));
            }
            SyncBatch::decode(body)
                .map_err(|_| ApiError(StatusCode::BAD_REQUEST, "not a sync batch of this protocol version"))?
        }
        None => SyncBatch::new(Vec::new()),
    };
    let request = SyncRequest { device: &device, coordinators_read_notes, batch: &batch };
    // A panic while answering (a bug: received bytes are contained further in) fails this request
    // only: its transaction rolls back as the panic unwinds, and nothing of it is acknowledged.
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| relay.backend.sync(&request)))
        .unwrap_or_else(|_| Err(crate::RelayError::Io("a contained panic while answering a sync".into())));
    let SyncOutcome { reply, report, stored_changes } = answered.map_err(internal)?;
    if stored_changes {
        relay.announce_changes();
    }
    relay.metrics.messages_in.inc_by(report.messages_received as u64);
    relay.metrics.messages_out.inc_by(report.messages_sent as u64);
    relay.metrics.refused.inc_by(report.refused_by_us.len() as u64);
    tracing::info!(
        device = %device.device_id,
        messages_in = report.messages_received,
        messages_out = report.messages_sent,
        refused = report.refused_by_us.len(),
        live_look = body.is_none(),
        "sync"
    );
    let sent_something = has_news(&batch);
    Ok(Answered { device_id: device.device_id, reply, sent_something })
}
