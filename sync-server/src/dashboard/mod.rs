//! The coordinators' web dashboard, served by the relay on its own port under `/dashboard`
//! (`DASHBOARD.md`): server-rendered HTML in English and Spanish, no JavaScript, charts
//! as inline SVG. This module owns the router; the pieces live beside it: sign-in and accounts
//! (`auth.rs`, `session.rs`, `cookies.rs`, `csrf.rs`), which schools a request covers (`scope.rs`),
//! the pages (`pages/`), CSV downloads (`exports.rs`), and the layer every answer passes through
//! (`respond.rs`: security headers, error pages, metrics).

mod auth;
mod charts;
mod cookies;
mod csrf;
mod exports;
mod form;
mod i18n;
mod layout;
mod pages;
mod query;
mod respond;
mod scope;
mod session;
mod settings;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};

pub use settings::Settings;

use crate::Relay;

/// Every dashboard route template: what requests are counted by (never the path with its ids).
pub(crate) const ROUTES: [&str; 16] = [
    "/dashboard",
    "/dashboard/sign-in",
    "/dashboard/set-up",
    "/dashboard/sign-out",
    "/dashboard/overview",
    "/dashboard/visits",
    "/dashboard/visits/{visit_id}",
    "/dashboard/educators",
    "/dashboard/fidelity",
    "/dashboard/stipends",
    "/dashboard/stipends/paid",
    "/dashboard/exports/stipends.csv",
    "/dashboard/exports/visits.csv",
    "/dashboard/exports/evaluation.csv",
    "/dashboard/static/app.css",
    "/dashboard/{*rest}",
];

/// The dashboard's routes, for `routes::router` to merge.
pub(crate) fn router(relay: Arc<Relay>) -> Router<Arc<Relay>> {
    Router::new()
        .route(ROUTES[0], get(auth::root))
        .route(ROUTES[1], get(auth::sign_in_form).post(auth::sign_in))
        .route(ROUTES[2], get(auth::set_up_form).post(auth::set_up))
        .route(ROUTES[3], post(auth::sign_out))
        .route(ROUTES[4], get(pages::overview::page))
        .route(ROUTES[5], get(pages::visits::page))
        .route(ROUTES[6], get(pages::visit::page))
        .route(ROUTES[7], get(pages::educators::page))
        .route(ROUTES[8], get(pages::fidelity::page))
        .route(ROUTES[9], get(pages::stipends::page))
        .route(ROUTES[10], post(pages::stipends::mark_paid))
        .route(ROUTES[11], get(exports::stipends))
        .route(ROUTES[12], get(exports::visits))
        .route(ROUTES[13], get(exports::evaluation))
        .route(ROUTES[14], get(stylesheet))
        .route(ROUTES[15], any(|| async { respond::Failure::NotFound }))
        .layer(axum::middleware::from_fn_with_state(relay, respond::around))
}

/// The stylesheet, compiled in.
async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("static/app.css"))
}
