//! The CSV downloads (`Content-Disposition: attachment`): stipends for a pay period, the visit log
//! for the visit log's filters, and the anonymised evaluation file (its pseudonyms keyed by 32
//! random bytes drawn for that download only). Each covers what the account may see.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use homevisit_reports::csv::{stipend_csv, visit_log_csv};
use homevisit_reports::evaluation::evaluation_csv;

use super::i18n::Lang;
use super::pages::{View, stipends as stipend_page, visits as visit_page};
use super::respond::{Failure, audit, blocking, internal};
use super::session::SignedIn;
use crate::Relay;
use crate::audit::AuditEvent;
use crate::exports::ExportKind;

/// Writes the download to the audit trail (which report, which school, how many rows) before it
/// is answered.
async fn audited(relay: &Arc<Relay>, view: &View, report: ExportKind, rows: usize) -> Result<(), Failure> {
    let (relay, account, school) = (relay.clone(), view.signed_in.account.id, view.scoped.school);
    blocking(move || audit(&relay, account, &[AuditEvent::ReportExported { report, school, rows: rows as u64 }])).await
}

fn attachment(name: &str, view: &View, body: String) -> Response {
    let file = format!("attachment; filename=\"{name}-{}-{}.csv\"", view.span.from, view.span.to);
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Ok(value) = HeaderValue::from_str(&file) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub async fn stipends(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Response, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let (rows, rate) = stipend_page::rows(&relay, &view).await?;
    audited(&relay, &view, ExportKind::Stipends, rows.len()).await?;
    tracing::info!(account = %view.signed_in.account.id, rows = rows.len(), "dashboard: stipends exported");
    Ok(attachment("stipends", &view, stipend_csv(&rows, &view.span.period(), rate)))
}

pub async fn visits(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Response, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let rows = visit_page::rows(&view);
    audited(&relay, &view, ExportKind::Visits, rows.len()).await?;
    tracing::info!(account = %view.signed_in.account.id, rows = rows.len(), "dashboard: visit log exported");
    Ok(attachment("visits", &view, visit_log_csv(&rows)))
}

pub async fn evaluation(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Response, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(internal)?;
    let csv = evaluation_csv(&view.scoped.data, &view.span.period(), &key);
    audited(&relay, &view, ExportKind::Evaluation, csv.lines().count().saturating_sub(1)).await?;
    tracing::info!(account = %view.signed_in.account.id, "dashboard: evaluation file exported");
    Ok(attachment("evaluation", &view, csv))
}
