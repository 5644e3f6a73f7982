//! Stipends for a pay period: per educator the completed and partner-confirmed visits, training,
//! the amount at the district's rate (`Relay::stipend_rate_cents`, default $40.00), and the
//! coordinator's "paid" mark with a form to toggle it.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use homevisit_model::{EducatorId, SchoolId};
use homevisit_reports::stipend::{StipendRow, stipends};
use maud::{Markup, html};

use super::{View, heads, nothing, yes_no};
use crate::Relay;
use crate::audit::AuditEvent;
use crate::dashboard::csrf;
use crate::dashboard::i18n::{K, Lang};
use crate::dashboard::layout::{self, Nav};
use crate::dashboard::query::{Filters, link};
use crate::dashboard::respond::{Failure, audit, blocking, internal, see_other};
use crate::dashboard::scope;
use crate::dashboard::session::{SignedIn, now_ms};

/// The view's stipend rows (with the paid marks of its period) and the rate (the page and the
/// CSV alike).
pub async fn rows(relay: &Arc<Relay>, view: &View) -> Result<(Vec<StipendRow>, u64), Failure> {
    let schools: Vec<SchoolId> = view.scoped.data.schools.iter().map(|s| s.id).collect();
    let (relay, span) = (relay.clone(), view.span);
    let (paid, rate) = blocking(move || {
        let mut paid = BTreeSet::new();
        for school in schools {
            paid.extend(relay.dashboard().paid(&span.key(school)).map_err(internal)?);
        }
        Ok((paid, relay.stipend_rate_cents().map_err(internal)?))
    })
    .await?;
    Ok((stipends(&view.scoped.data, &view.span.period(), rate, &paid), rate))
}

pub async fn page(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    uri: Uri,
) -> Result<Markup, Failure> {
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let (rows, rate) = rows(&relay, &view).await?;
    let many_schools = view.scoped.data.schools.len() > 1;
    let total: u64 = rows.iter().map(|r| r.amount_cents).sum();
    let body = html! {
        (view.filter_form("/dashboard/stipends", Some("period"), html! {}))
        p { (lang.t(K::StipendsExplain)) " " (lang.fill(K::Rate, &[("rate", &lang.dollars(rate))])) }
        (nothing(lang, rows.is_empty()))
        div class="table-scroll" {
            table data-test="stipends" {
                (heads(lang, &[K::Educator, K::Completed, K::PartnerConfirmed, K::TrainingValid, K::Amount, K::Paid], many_schools))
                tbody {
                    @for r in &rows {
                        tr data-educator=(r.educator_id.0) {
                            th scope="row" { (r.display_name) }
                            @if many_schools { td { (view.school_name(r.school_id)) } }
                            td { (r.completed) }
                            td { (r.partner_confirmed) }
                            td { (yes_no(lang, r.training_valid)) }
                            td { (lang.dollars(r.amount_cents)) }
                            td {
                                (yes_no(lang, r.paid)) " "
                                form method="post" action="/dashboard/stipends/paid" data-test="mark-paid" class="inline" {
                                    input type="hidden" name="csrf" value=(view.signed_in.session.csrf_token);
                                    input type="hidden" name="school" value=(r.school_id);
                                    input type="hidden" name="shown" value=(view.school_param());
                                    input type="hidden" name="from" value=(view.span.from.to_string());
                                    input type="hidden" name="to" value=(view.span.to.to_string());
                                    input type="hidden" name="educator" value=(r.educator_id.0);
                                    input type="hidden" name="paid" value=(if r.paid { "false" } else { "true" });
                                    button type="submit" { (lang.t(if r.paid { K::MarkUnpaid } else { K::MarkPaid })) }
                                }
                            }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" colspan=(if many_schools { 5 } else { 4 }) { (lang.t(K::Total)) }
                    td { (lang.dollars(total)) }
                    td {}
                } }
            }
        }
        p { a data-test="stipends-csv" href=(link("/dashboard/exports/stipends.csv", &view.period_pairs())) { (lang.t(K::StipendsCsv)) } }
    };
    Ok(layout::page(&view.chrome(Nav::Stipends), lang.t(K::StipendsTitle), body))
}

/// `POST /dashboard/stipends/paid`: sets or clears one educator's paid mark for a period of a
/// school the account may see (another school's, or an educator not on the school's roster: 404).
pub async fn mark_paid(
    State(relay): State<Arc<Relay>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let form = csrf::session_form(&relay, &signed_in, &headers, body).await?;
    let school = SchoolId(form.get("school").trim().parse().map_err(|_| Failure::NotFound)?);
    if !scope::may_see(&signed_in.account, school) {
        return Err(Failure::NotFound);
    }
    let educator = EducatorId(form.get("educator").trim().parse().map_err(|_| Failure::BadRequest)?);
    let paid = match form.get("paid") {
        "true" => true,
        "false" => false,
        _ => return Err(Failure::BadRequest),
    };
    let filters = Filters::from_pairs(form.pairs().filter(|(k, _)| k == "from" || k == "to"))?;
    let (Some(_), Some(_)) = (filters.from, filters.to) else { return Err(Failure::BadRequest) };
    let span = filters.span(homevisit_model::Timestamp::now().day_utc())?;
    let (store_relay, account) = (relay.clone(), signed_in.account.id);
    blocking(move || {
        // On the school's roster as the relay recorded it: the ids of its documents, none loaded.
        let record = homevisit_docs::DocId::new(homevisit_docs::DocKind::Educator, educator.0);
        if !store_relay.backend.school_documents(Some(school)).map_err(internal)?.contains(&record) {
            return Err(Failure::NotFound);
        }
        let key = span.key(school);
        store_relay.dashboard().set_paid(&key, educator, paid, account, now_ms()).map_err(internal)?;
        let marked = AuditEvent::StipendMarked { school, educator, period: key.period, paid };
        audit(&store_relay, account, &[marked])
    })
    .await?;
    tracing::info!(account = %account, educator = %educator.0, paid, "dashboard: stipend mark set");
    let shown = match form.get("shown").trim() {
        "" => String::new(),
        _ if signed_in.account.role == crate::access::Role::DistrictAdmin => school.to_string(),
        _ => String::new(),
    };
    let back = [("school", shown), ("from", span.from.to_string()), ("to", span.to.to_string())];
    Ok(see_other(&link("/dashboard/stipends", &back)))
}
