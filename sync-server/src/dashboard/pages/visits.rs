//! The visit log: the filter form (dates, educator, status, visit number), one row per visit
//! linking to its page, and the CSV downloads for the same filters.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::Uri;
use homevisit_model::{VisitNumber, VisitStatus};
use homevisit_reports::visit_log::{VisitFilter, VisitRow, visit_rows};
use maud::{Markup, html};

use super::{View, heads, status_label, visit_number_label, yes_no};
use crate::Relay;
use crate::dashboard::i18n::{K, Lang, when};
use crate::dashboard::layout::{self, Nav};
use crate::dashboard::query::link;
use crate::dashboard::respond::Failure;
use crate::dashboard::session::SignedIn;

/// The visits the view's filters select (the visit log page and its CSV alike).
pub fn rows(view: &View) -> Vec<VisitRow> {
    let filter = VisitFilter {
        period: Some(view.span.period()),
        educator: view.filters.educator,
        status: view.filters.status,
        visit_number: view.filters.visit_number,
    };
    visit_rows(&view.scoped.data, &filter)
}

/// The view's filters as link parameters (the CSV link carries them).
fn filter_pairs(view: &View) -> Vec<(&'static str, String)> {
    let mut pairs = view.period_pairs();
    pairs.push(("educator", view.filters.educator.map(|e| e.0.to_string()).unwrap_or_default()));
    pairs.push(("status", view.filters.status.map(|s| s.as_str().to_string()).unwrap_or_default()));
    pairs.push(("visit_number", view.filters.visit_number.map(|n| n.number().to_string()).unwrap_or_default()));
    pairs
}

pub async fn page(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Markup, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let rows = rows(&view);
    let names = view.educator_names();
    let many_schools = view.scoped.data.schools.len() > 1;
    let body = html! {
        (view.filter_form("/dashboard/visits", Some("visit-filter"), filter_fields(&view)))
        p { (lang.fill(K::VisitsShown, &[("n", &rows.len().to_string())])) }
        div class="table-scroll" {
            table data-test="visits" {
                (heads(lang, &[K::Scheduled, K::Family, K::Educators, K::VisitNumber, K::Status, K::Duration, K::Documented, K::Debriefed], many_schools))
                tbody {
                    @for r in &rows {
                        tr data-visit=(r.visit_id.0) {
                            td { a href=(format!("/dashboard/visits/{}", r.visit_id.0)) { (when(r.scheduled_at)) } }
                            @if many_schools { td { (view.school_name(r.school_id)) } }
                            td { (r.family_name.as_deref().unwrap_or("—")) }
                            td { (super::names(&names, &r.educator_ids)) }
                            td { (visit_number_label(lang, r.visit_number)) }
                            td { (status_label(lang, r.status)) }
                            td { @if let Some(m) = r.duration_minutes { (m) } @else { "—" } }
                            td { (yes_no(lang, r.documented)) }
                            td { (yes_no(lang, r.debriefed)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="exports-heading" {
            h2 id="exports-heading" { (lang.t(K::Exports)) }
            ul {
                li { a data-test="visits-csv" href=(link("/dashboard/exports/visits.csv", &filter_pairs(&view))) { (lang.t(K::VisitsCsv)) } }
                li { a data-test="evaluation-csv" href=(link("/dashboard/exports/evaluation.csv", &view.period_pairs())) { (lang.t(K::EvaluationCsv)) } }
            }
        }
    };
    Ok(layout::page(&view.chrome(Nav::Visits), lang.t(K::VisitsTitle), body))
}

fn filter_fields(view: &View) -> Markup {
    let lang = view.lang;
    let mut educators: Vec<_> = view.scoped.data.educators.iter().collect();
    educators.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    html! {
        div class="field" {
            label for="educator" { (lang.t(K::Educator)) }
            select id="educator" name="educator" {
                option value="" { (lang.t(K::Any)) }
                @for e in educators {
                    option value=(e.id.0) selected[view.filters.educator == Some(e.id)] { (e.display_name) }
                }
            }
        }
        div class="field" {
            label for="status" { (lang.t(K::Status)) }
            select id="status" name="status" {
                option value="" { (lang.t(K::Any)) }
                @for s in VisitStatus::ALL {
                    option value=(s.as_str()) selected[view.filters.status == Some(s)] { (status_label(lang, s)) }
                }
            }
        }
        div class="field" {
            label for="visit_number" { (lang.t(K::VisitNumber)) }
            select id="visit_number" name="visit_number" {
                option value="" { (lang.t(K::Any)) }
                @for n in [VisitNumber::First, VisitNumber::Second] {
                    option value=(n.number()) selected[view.filters.visit_number == Some(n)] { (visit_number_label(lang, n)) }
                }
            }
        }
    }
}
