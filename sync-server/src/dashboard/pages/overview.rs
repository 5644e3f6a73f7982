//! The overview: reach per school against 10% (bar chart with the threshold line, and a table),
//! reach month by month, staff participation against 50%, first and second visits per family,
//! and the safety flags (visits past their expected end with no outcome recorded).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::Uri;
use homevisit_model::{EducatorId, Timestamp};
use homevisit_reports::participation::{STAFF_THRESHOLD_PERCENT, family_visits, staff_participation};
use homevisit_reports::reach::{REACH_THRESHOLD_PERCENT, reach, reach_trend};
use homevisit_reports::safety::{Overrun, overruns};
use maud::{Markup, html};

use super::{View, heads, names, nothing};
use crate::Relay;
use crate::dashboard::charts::{Bar, Threshold, bar_chart, trend_chart};
use crate::dashboard::i18n::{K, Lang, when};
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
    let body = html! {
        (view.filter_form("/dashboard/overview", None, html! {}))
        (reach_section(&view))
        (trend_section(&view))
        (staff_section(&view))
        (families_section(&view))
        (safety_section(&view))
    };
    Ok(layout::page(&view.chrome(Nav::Overview), lang.t(K::OverviewTitle), body))
}

fn threshold(lang: Lang, percent: f64) -> Threshold {
    Threshold { value: percent, label: format!("{} {}", lang.t(K::Threshold), lang.percent(percent)) }
}

fn reach_section(view: &View) -> Markup {
    let lang = view.lang;
    let rows = reach(&view.scoped.data, &view.span.period());
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: r.school_name.clone(),
            value: r.students.percent(),
            shown: lang.percent(r.students.percent()),
        })
        .collect();
    html! {
        section aria-labelledby="reach-heading" {
            h2 id="reach-heading" { (lang.t(K::Reach)) }
            p { (lang.t(K::ReachExplain)) }
            (nothing(lang, rows.is_empty()))
            @if !rows.is_empty() {
                (bar_chart("reach-chart", lang.t(K::ReachChart), &bars, 2.0 * REACH_THRESHOLD_PERCENT, Some(&threshold(lang, REACH_THRESHOLD_PERCENT))))
                table {
                    caption { (lang.t(K::TheNumbers)) }
                    (heads(lang, &[K::School, K::StudentsVisited, K::StudentsEnrolled, K::Percent, K::FamiliesVisited, K::Threshold], false))
                    tbody {
                        @for r in &rows {
                            tr data-test="reach" data-school=(r.school_id) data-part=(r.students.part) data-whole=(r.students.whole) {
                                th scope="row" { (r.school_name) }
                                td { (r.students.part) }
                                td { (r.students.whole) }
                                td { (lang.percent(r.students.percent())) }
                                td { (r.families.part) " / " (r.families.whole) }
                                td { (lang.t(if r.meets_threshold { K::MeetsThreshold } else { K::BelowThreshold })) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn trend_section(view: &View) -> Markup {
    let lang = view.lang;
    let period = view.span.period();
    html! {
        section aria-labelledby="trend-heading" {
            h2 id="trend-heading" { (lang.t(K::Trend)) }
            @for (i, school) in view.scoped.data.schools.iter().enumerate() {
                @let points = reach_trend(&view.scoped.data, school.id, &period);
                @let line: Vec<(String, f64)> = points.iter().map(|p| (p.month.clone(), p.students.percent())).collect();
                @let title = lang.fill(K::TrendChart, &[("school", &school.name)]);
                (trend_chart(&format!("trend-{i}"), &title, &line, 2.0 * REACH_THRESHOLD_PERCENT, Some(&threshold(lang, REACH_THRESHOLD_PERCENT))))
                table {
                    caption { (title) }
                    (heads(lang, &[K::Month, K::StudentsVisited, K::Percent], false))
                    tbody {
                        @for p in &points {
                            tr { th scope="row" { (p.month) } td { (p.students.part) " / " (p.students.whole) } td { (lang.percent(p.students.percent())) } }
                        }
                    }
                }
            }
        }
    }
}

fn staff_section(view: &View) -> Markup {
    let lang = view.lang;
    let rows = staff_participation(&view.scoped.data, &view.span.period());
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: r.school_name.clone(),
            value: r.educators.percent(),
            shown: lang.percent(r.educators.percent()),
        })
        .collect();
    html! {
        section aria-labelledby="staff-heading" {
            h2 id="staff-heading" { (lang.t(K::Staff)) }
            p { (lang.t(K::StaffExplain)) }
            @if !rows.is_empty() {
                (bar_chart("staff-chart", lang.t(K::Staff), &bars, 100.0, Some(&threshold(lang, STAFF_THRESHOLD_PERCENT))))
                table {
                    caption { (lang.t(K::TheNumbers)) }
                    (heads(lang, &[K::School, K::EducatorsTookPart, K::EducatorsOnRoster, K::Percent, K::Threshold], false))
                    tbody {
                        @for r in &rows {
                            tr data-test="staff" data-school=(r.school_id) data-part=(r.educators.part) data-whole=(r.educators.whole) {
                                th scope="row" { (r.school_name) }
                                td { (r.educators.part) }
                                td { (r.educators.whole) }
                                td { (lang.percent(r.educators.percent())) }
                                td { (lang.t(if r.meets_threshold { K::MeetsThreshold } else { K::BelowThreshold })) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn families_section(view: &View) -> Markup {
    let lang = view.lang;
    let rows = family_visits(&view.scoped.data, &view.span.period());
    html! {
        section aria-labelledby="families-heading" {
            h2 id="families-heading" { (lang.t(K::FamilyVisits)) }
            @if !rows.is_empty() {
                table {
                    (heads(lang, &[K::School, K::Families, K::WithFirst, K::WithSecond], false))
                    tbody {
                        @for r in &rows {
                            tr data-school=(r.school_id) {
                                th scope="row" { (view.school_name(r.school_id)) }
                                td { (r.families) }
                                td { (r.with_first) }
                                td { (r.with_second) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn safety_section(view: &View) -> Markup {
    let flags = overruns(&view.scoped.data, Timestamp::now());
    safety(view.lang, &flags, &view.educator_names())
}

/// The safety flags: each visit past its expected end with no outcome, its educators' names and
/// times, linking to the visit.
fn safety(lang: Lang, flags: &[Overrun], people: &HashMap<EducatorId, &str>) -> Markup {
    html! {
        section aria-labelledby="safety-heading" {
            h2 id="safety-heading" { (lang.t(K::Safety)) }
            @if flags.is_empty() {
                p { (lang.t(K::NoOverruns)) }
            } @else {
                ul class="flags" {
                    @for f in flags {
                        li data-test="overrun" data-visit=(f.visit_id.0) {
                            strong { (lang.t(K::OverrunExplain)) } ": "
                            a href=(format!("/dashboard/visits/{}", f.visit_id.0)) { (names(people, &f.educator_ids)) }
                            " · " (lang.t(K::Scheduled)) " " (when(f.scheduled_at))
                            " · " (lang.t(K::ExpectedEnd)) " " (when(f.expected_end))
                            " · " (lang.t(K::MinutesOver)) " " (f.minutes_over)
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use homevisit_model::{FamilyId, SchoolId, VisitId};

    use super::*;

    #[test]
    fn a_safety_flag_names_the_educators_and_the_scheduled_time() {
        let (ana, ben) = (EducatorId::new(), EducatorId::new());
        let people: HashMap<_, _> = [(ana, "Ana <Ruiz>"), (ben, "Ben Ode")].into_iter().collect();
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let flag = Overrun {
            visit_id: VisitId::new(),
            school_id: SchoolId::new(),
            family_id: FamilyId::new(),
            educator_ids: vec![ana, ben],
            scheduled_at: at("2026-12-05T16:00:00Z"),
            expected_end: at("2026-12-05T17:00:00Z"),
            minutes_over: 42,
        };
        let html = safety(Lang::En, std::slice::from_ref(&flag), &people).into_string();
        assert!(html.contains(&format!(r#"<li data-test="overrun" data-visit="{}">"#, flag.visit_id.0)), "{html}");
        assert!(html.contains("Past expected end, no outcome recorded"), "{html}");
        assert!(
            html.contains(&format!(r#"href="/dashboard/visits/{}">Ana &lt;Ruiz&gt;, Ben Ode</a>"#, flag.visit_id.0)),
            "{html}"
        );
        assert!(html.contains("Scheduled 2026-12-05 16:00 UTC") && html.contains("Minutes over 42"), "{html}");
        let none = safety(Lang::Es, &[], &people).into_string();
        assert!(none.contains("Ninguna visita") && !none.contains("data-test=\"overrun\""), "{none}");
    }
}
