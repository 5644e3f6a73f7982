//! Visits per educator (most completed first, with a bar chart) and each educator's training.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::Uri;
use homevisit_reports::participation::educator_visits;
use maud::{Markup, html};

use super::{View, heads, nothing};
use crate::Relay;
use crate::dashboard::charts::{Bar, bar_chart};
use crate::dashboard::i18n::{K, Lang};
use crate::dashboard::layout::{self, Nav};
use crate::dashboard::respond::Failure;
use crate::dashboard::session::SignedIn;

pub async fn page(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Markup, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let rows = educator_visits(&view.scoped.data, &view.span.period());
    let trained: std::collections::HashMap<_, _> =
        view.scoped.data.educators.iter().map(|e| (e.id, e.training_date)).collect();
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar { label: r.display_name.clone(), value: f64::from(r.completed), shown: r.completed.to_string() })
        .collect();
    let many_schools = view.scoped.data.schools.len() > 1;
    let body = html! {
        (view.filter_form("/dashboard/educators", None, html! {}))
        (nothing(lang, rows.is_empty()))
        @if !rows.is_empty() {
            (bar_chart("educators-chart", lang.t(K::EducatorsChart), &bars, 1.0, None))
            div class="table-scroll" {
                table data-test="educators" {
                    caption { (lang.t(K::TheNumbers)) }
                    (heads(lang, &[K::Educator, K::Visits, K::Completed, K::Documented, K::FirstVisits, K::SecondVisits, K::Training], many_schools))
                    tbody {
                        @for r in &rows {
                            tr data-educator=(r.educator_id.0) {
                                th scope="row" { (r.display_name) }
                                @if many_schools { td { (view.school_name(r.school_id)) } }
                                td { (r.visits) }
                                td { (r.completed) }
                                td { (r.documented) }
                                td { (r.first_visits) }
                                td { (r.second_visits) }
                                td {
                                    @match trained.get(&r.educator_id).copied().flatten() {
                                        Some(day) => (day.to_string()),
                                        None => (lang.t(K::NotTrained)),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&view.chrome(Nav::Educators), lang.t(K::EducatorsTitle), body))
}
