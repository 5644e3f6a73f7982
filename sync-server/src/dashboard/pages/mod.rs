//! The signed-in pages. Each loads a [`View`] (the account's scope, the period, the filters) and
//! renders it; what they share is here: the period form, and how statuses, yes/no and people are
//! shown.

pub mod educators;
pub mod fidelity;
pub mod overview;
pub mod stipends;
pub mod visit;
pub mod visits;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Uri;
use homevisit_model::{EducatorId, SchoolId, Timestamp, VisitStatus};
use maud::{Markup, html};

use super::i18n::{K, Lang};
use super::layout::{Chrome, Nav};
use super::query::{Filters, Span};
use super::respond::Failure;
use super::scope::{self, Scoped};
use super::session::SignedIn;
use crate::Relay;

/// What a page shows: for whom, over which days and schools, with which filters.
pub struct View {
    pub lang: Lang,
    pub signed_in: SignedIn,
    pub filters: Filters,
    pub span: Span,
    pub scoped: Scoped,
    pub uri: Uri,
}

impl View {
    pub async fn load(relay: &Arc<Relay>, lang: Lang, signed_in: SignedIn, uri: Uri) -> Result<View, Failure> {
        let filters = Filters::parse(uri.query())?;
        let span = filters.span(Timestamp::now().day_utc())?;
        let scoped = scope::load(relay, &signed_in.account, filters.school.as_deref()).await?;
        // An educator the account may not see (another school's) is not found, like a school.
        if let Some(educator) = filters.educator
            && !scoped.data.educators.iter().any(|e| e.id == educator)
        {
            return Err(Failure::NotFound);
        }
        Ok(View { lang, signed_in, filters, span, scoped, uri })
    }

    pub fn chrome(&self, nav: Nav) -> Chrome<'_> {
        Chrome {
            lang: self.lang,
            username: &self.signed_in.account.username,
            csrf: &self.signed_in.session.csrf_token,
            nav,
            uri: &self.uri,
        }
    }

    /// The `school` a link carries on: the school picked by a district administrator (a
    /// coordinator's is implied).
    pub fn school_param(&self) -> String {
        match (self.scoped.picks, self.scoped.school) {
            (true, Some(s)) => s.to_string(),
            _ => String::new(),
        }
    }

    /// `school`, `from`, `to` for links.
    pub fn period_pairs(&self) -> Vec<(&'static str, String)> {
        vec![("school", self.school_param()), ("from", self.span.from.to_string()), ("to", self.span.to.to_string())]
    }

    /// Educator names of the schools shown, by id.
    pub fn educator_names(&self) -> HashMap<EducatorId, &str> {
        self.scoped.data.educators.iter().map(|e| (e.id, e.display_name.as_str())).collect()
    }

    /// A school's name, or its id if its record is missing.
    pub fn school_name(&self, id: SchoolId) -> String {
        self.scoped.schools.iter().find(|(s, _)| *s == id).map_or_else(|| id.to_string(), |(_, n)| n.clone())
    }

    /// The school picker (district administrators), `from` and `to`, then `extra` fields, as a
    /// GET form to `action`.
    pub fn filter_form(&self, action: &str, test_id: Option<&str>, extra: Markup) -> Markup {
        let lang = self.lang;
        html! {
            form method="get" action=(action) class="filters" data-test=[test_id] {
                fieldset {
                    legend { (lang.t(K::Filters)) }
                    @if self.scoped.picks {
                        div class="field" {
                            label for="school" { (lang.t(K::School)) }
                            select id="school" name="school" {
                                option value="" { (lang.t(K::AllSchools)) }
                                @for (id, name) in &self.scoped.schools {
                                    option value=(id) selected[self.scoped.school == Some(*id)] { (name) }
                                }
                            }
                        }
                    }
                    div class="field" {
                        label for="from" { (lang.t(K::From)) }
                        input id="from" name="from" type="date" value=(self.span.from.to_string()) required;
                    }
                    div class="field" {
                        label for="to" { (lang.t(K::To)) }
                        input id="to" name="to" type="date" value=(self.span.to.to_string()) required;
                    }
                    (extra)
                    button type="submit" { (lang.t(K::Show)) }
                }
            }
            p class="period" {
                (lang.fill(K::PeriodShown, &[("from", &self.span.from.to_string()), ("to", &self.span.to.to_string())]))
            }
        }
    }
}

pub fn status_label(lang: Lang, status: VisitStatus) -> &'static str {
    lang.t(match status {
        VisitStatus::Planned => K::StatusPlanned,
        VisitStatus::Confirmed => K::StatusConfirmed,
        VisitStatus::Completed => K::StatusCompleted,
        VisitStatus::FamilyNotHome => K::StatusFamilyNotHome,
        VisitStatus::Cancelled => K::StatusCancelled,
        VisitStatus::Rescheduled => K::StatusRescheduled,
        VisitStatus::FamilyDeclined => K::StatusFamilyDeclined,
    })
}

pub fn yes_no(lang: Lang, yes: bool) -> &'static str {
    lang.t(if yes { K::Yes } else { K::No })
}

pub fn visit_number_label(lang: Lang, number: homevisit_model::VisitNumber) -> &'static str {
    lang.t(match number {
        homevisit_model::VisitNumber::First => K::FirstVisit,
        homevisit_model::VisitNumber::Second => K::SecondVisit,
    })
}

/// The names of `ids` (an id whose record is missing is shown as the id).
pub fn names(names: &HashMap<EducatorId, &str>, ids: &[EducatorId]) -> String {
    ids.iter().map(|id| names.get(id).map_or_else(|| id.to_string(), |n| n.to_string())).collect::<Vec<_>>().join(", ")
}

/// A paragraph saying there is nothing for this period, when `empty`.
pub fn nothing(lang: Lang, empty: bool) -> Markup {
    html! { @if empty { p class="empty" { (lang.t(K::NoData)) } } }
}

/// A table's column headings, in `keys`' order, with a school column after the first when the
/// page covers several schools (a district administrator's with no school picked).
pub fn heads(lang: Lang, keys: &[K], many_schools: bool) -> Markup {
    html! {
        thead { tr {
            @for (i, key) in keys.iter().enumerate() {
                th scope="col" { (lang.t(*key)) }
                @if i == 0 && many_schools { th scope="col" { (lang.t(K::School)) } }
            }
        } }
    }
}
