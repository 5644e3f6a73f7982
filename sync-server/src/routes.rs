//! HTTP handlers. Responses and logs carry ids and counts only, never document content.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use homevisit_protocol::{MAX_BODY_BYTES, SyncBatch};
use serde::{Deserialize, Serialize};

use crate::Relay;
use crate::backend::{SyncOutcome, SyncRequest};

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

async fn enroll(
    State(relay): State<Arc<Relay>>,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let result =
        tokio::task::spawn_blocking(move || relay.access().enroll(req.invite.trim())).await.map_err(internal)?;
    match result {
        Ok((device, token)) => {
            tracing::info!(device = %device.device_id, role = %device.role, "device enrolled");
            Ok(Json(EnrollResponse { device_id: device.device_id, token }))
        }
        Err(crate::AccessError::BadInvite) => Err(ApiError(StatusCode::UNAUTHORIZED, "unknown or used invite code")),
        Err(e) => Err(internal(e)),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

async fn sync(State(relay): State<Arc<Relay>>, headers: HeaderMap, body: Bytes) -> Result<Vec<u8>, ApiError> {
    let started = std::time::Instant::now();
    let metrics_relay = relay.clone();
    let result = sync_request(relay, headers, body).await;
    let m = &metrics_relay.metrics;
    match &result {
        Ok(reply) => {
            m.count("sync", 200);
            m.bytes_out.inc_by(reply.len() as u64);
            m.sync_seconds.observe(started.elapsed().as_secs_f64());
        }
        Err(ApiError(status, _)) => m.count("sync", status.as_u16()),
    }
    result
}

async fn sync_request(relay: Arc<Relay>, headers: HeaderMap, body: Bytes) -> Result<Vec<u8>, ApiError> {
    let token = bearer(&headers).ok_or(ApiError(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    relay.metrics.bytes_in.inc_by(body.len() as u64);
    tokio::task::spawn_blocking(move || {
        let (device, coordinators_read_notes) = {
            let access = relay.access();
            let device = access
                .authenticate(&token)
                .map_err(internal)?
                .ok_or(ApiError(StatusCode::UNAUTHORIZED, "unknown or revoked device"))?;
            let shared = access.coordinators_read_notes(&device.school_id).map_err(internal)?;
            (device, shared)
        };
        if relay.limiter.check_key(&device.device_id).is_err() {
            return Err(ApiError(StatusCode::TOO_MANY_REQUESTS, "too many requests from this device; retry shortly"));
        }
        let batch = SyncBatch::decode(&body)
            .map_err(|_| ApiError(StatusCode::BAD_REQUEST, "not a sync batch of this protocol version"))?;
        let request = SyncRequest { device: &device, coordinators_read_notes, batch: &batch };
        let SyncOutcome { reply, report, stored_changes } = relay.backend.sync(&request).map_err(internal)?;
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
            "sync"
        );
        Ok(reply.encode())
    })
    .await
    .map_err(internal)?
}
