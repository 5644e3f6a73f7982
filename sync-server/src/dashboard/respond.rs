//! What every dashboard answer goes through ([`around`]): the request's language, the Origin and
//! `Sec-Fetch-Site` check on every POST, error pages (a handler's [`Failure`] becomes a page in
//! the request's language, with no detail), the security headers, and the request count by route
//! template and status (never the path with its ids).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::i18n::{LANG_COOKIE, Lang};
use super::{ROUTES, cookies, csrf, layout};
use crate::Relay;

/// Why a dashboard request was refused; the page says no more than this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Also anything the account may not see: another school's, as if it did not exist.
    NotFound,
    BadRequest,
    /// A POST without the right CSRF token (or with a body that is not a form), from another
    /// site, or with no session.
    Forbidden,
    TooLarge,
    Internal,
}

impl Failure {
    pub fn status(self) -> StatusCode {
        match self {
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::BadRequest => StatusCode::BAD_REQUEST,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The status, marked for [`around`] to render as a page in the request's language.
impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// An internal error: logged (store and relay errors carry ids only), answered 500.
pub fn internal(e: impl std::fmt::Display) -> Failure {
    tracing::error!(error = %e, "dashboard: internal error");
    Failure::Internal
}

/// Appends a dashboard account's actions to the audit trail (blocking: call it inside
/// [`blocking`]). A failure is an internal error: nothing is answered as done without its entry.
pub fn audit(relay: &crate::Relay, account: uuid::Uuid, events: &[crate::audit::AuditEvent]) -> Result<(), Failure> {
    relay.audit().append(&crate::audit::Actor::DashboardAccount(account), events).map_err(internal)
}

/// Runs `job` on a blocking thread (the store and argon2 block).
pub async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(job).await.map_err(internal)?
}

/// A `303 See Other` to `location` (a path of the dashboard's).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The layer around every dashboard route (see the module's doc).
pub async fn around(State(relay): State<Arc<Relay>>, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| ROUTES.iter().copied().find(|r| *r == m.as_str()))
        .unwrap_or("/dashboard/other");
    let (lang, chosen) = Lang::negotiate(request.uri().query(), request.headers());
    request.extensions_mut().insert(lang);
    let mut response = if request.method() == Method::POST && !csrf::same_origin(request.headers()) {
        tracing::info!(route, "dashboard: a POST from another origin refused");
        Failure::Forbidden.into_response()
    } else {
        next.run(request).await
    };
    if let Some(failure) = response.extensions().get::<Failure>().copied() {
        response = (failure.status(), layout::error_page(lang, failure)).into_response();
    }
    let headers = response.headers_mut();
    if chosen {
        headers.append(header::SET_COOKIE, cookies::set(LANG_COOKIE, lang.code(), Some(365 * 24 * 3600)));
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    relay.metrics.count(route, response.status().as_u16());
    response
}
