//! Fidelity to the five core practices per school: each practice as a share of the completed
//! visits with a short explanation, and how reach spreads across grades (a chart and a table).

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::Uri;
use homevisit_reports::Ratio;
use homevisit_reports::fidelity::fidelity;
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
    let schools = fidelity(&view.scoped.data, &view.span.period());
    let ratio = |r: &Ratio| format!("{} / {} ({})", r.part, r.whole, lang.percent(r.percent()));
    let body = html! {
        (view.filter_form("/dashboard/fidelity", None, html! {}))
        p { (lang.t(K::FidelityExplain)) }
        (nothing(lang, schools.is_empty()))
        @for (i, f) in schools.iter().enumerate() {
            section aria-labelledby=(format!("fidelity-{i}")) data-school=(f.school_id) {
                h2 id=(format!("fidelity-{i}")) { (f.school_name) }
                table data-test="fidelity" {
                    (heads(lang, &[K::Practice, K::Share], false))
                    tbody {
                        @for (name, explain, r) in [
                            (K::InPairs, K::InPairsExplain, &f.in_pairs),
                            (K::AgreementBefore, K::AgreementBeforeExplain, &f.agreement_before),
                            (K::DebriefDone, K::DebriefDoneExplain, &f.debriefed),
                            (K::TrainedOrPaired, K::TrainedOrPairedExplain, &f.trained_or_paired),
                            (K::GradesReached, K::GradesReachedExplain, &f.grades_reached),
                        ] {
                            tr {
                                th scope="row" { (lang.t(name)) br; span class="explain" { (lang.t(explain)) } }
                                td { (ratio(r)) }
                            }
                        }
                    }
                }
                p { (lang.fill(K::LargestGradeShare, &[("share", &lang.percent(f.largest_grade_share_percent))])) }
                @let title = lang.fill(K::SpreadChart, &[("school", &f.school_name)]);
                @let bars: Vec<Bar> = f.by_grade.iter().map(|g| Bar { label: g.label.clone(), value: g.students.percent(), shown: lang.percent(g.students.percent()) }).collect();
                @if !bars.is_empty() {
                    (bar_chart(&format!("spread-{i}"), &title, &bars, 10.0, None))
                    table {
                        caption { (title) }
                        (heads(lang, &[K::Grade, K::StudentsVisited, K::Percent], false))
                        tbody {
                            @for g in &f.by_grade {
                                tr { th scope="row" { (g.label) } td { (g.students.part) " / " (g.students.whole) } td { (lang.percent(g.students.percent())) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&view.chrome(Nav::Fidelity), lang.t(K::FidelityTitle), body))
}
