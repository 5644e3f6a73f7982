//! One visit's page: its log as the coordinator reads it (status, educators, times, agreement,
//! confirmation); its notes only where the visit's school shares notes with coordinators, else a
//! sentence saying they belong to the pair. The visit is looked up in the report data of the
//! account's own school(s) (a district administrator: every school, or the one picked): another
//! school's visit is not found.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::Uri;
use homevisit_docs::{DocId, DocKind};
use homevisit_model::{NoteField, VisitNotes};
use homevisit_reports::visit_log::{VisitFilter, visit_rows};
use maud::{Markup, html};

use super::{View, names, status_label, visit_number_label, yes_no};
use crate::Relay;
use crate::dashboard::i18n::{K, Lang, when};
use crate::dashboard::layout::{self, Nav};
use crate::dashboard::respond::{Failure, blocking, internal};
use crate::dashboard::session::SignedIn;

pub async fn page(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    signed_in: SignedIn,
    Path(visit_id): Path<String>,
    uri: Uri,
) -> Result<Markup, Failure> {
    let visit_id = homevisit_model::VisitId(visit_id.parse().map_err(|_| Failure::NotFound)?);
    let view = View::load(&relay, lang, signed_in, uri).await?;
    let row = visit_rows(&view.scoped.data, &VisitFilter::default())
        .into_iter()
        .find(|r| r.visit_id == visit_id)
        .ok_or(Failure::NotFound)?;
    let school = row.school_id;
    let notes_relay = relay.clone();
    let notes = blocking(move || {
        if !notes_relay.access().coordinators_read_notes(&school).map_err(internal)? {
            return Ok(None);
        }
        let doc = notes_relay.document(&DocId::new(DocKind::VisitNotes, visit_id.0)).map_err(internal)?;
        let notes = match doc {
            Some(doc) => Some(homevisit_docs::read_notes(&doc).map_err(internal)?),
            None => None,
        };
        Ok(Some(notes))
    })
    .await?;
    let people = view.educator_names();
    let place = match row.place_kind {
        "home" => lang.t(K::PlaceHome),
        "neutral" => lang.t(K::PlaceNeutral),
        _ => lang.t(K::PlaceVirtual),
    };
    let optional = |t: Option<homevisit_model::Timestamp>| t.map_or_else(|| "—".to_string(), when);
    let body = html! {
        dl class="facts" {
            dt { (lang.t(K::Status)) } dd data-test="visit-status" { (status_label(lang, row.status)) }
            dt { (lang.t(K::Educators)) } dd data-test="visit-educators" { (names(&people, &row.educator_ids)) }
            dt { (lang.t(K::Family)) } dd { (row.family_name.as_deref().unwrap_or("—")) }
            dt { (lang.t(K::VisitNumber)) } dd { (visit_number_label(lang, row.visit_number)) }
            dt { (lang.t(K::Scheduled)) } dd { (when(row.scheduled_at)) }
            dt { (lang.t(K::Started)) } dd { (optional(row.started_at)) }
            dt { (lang.t(K::Ended)) } dd { (optional(row.ended_at)) }
            dt { (lang.t(K::Duration)) } dd { @if let Some(m) = row.duration_minutes { (m) } @else { "—" } }
            dt { (lang.t(K::Place)) } dd { (place) }
            dt { (lang.t(K::Interpreter)) } dd { (yes_no(lang, row.interpreter)) }
            dt { (lang.t(K::AgreementRecorded)) } dd { (yes_no(lang, row.agreement_recorded)) }
            dt { (lang.t(K::Documented)) } dd { (yes_no(lang, row.documented)) }
            dt { (lang.t(K::Debriefed)) } dd { (yes_no(lang, row.debriefed)) }
        }
        section aria-labelledby="notes-heading" {
            h2 id="notes-heading" { (lang.t(K::Notes)) }
            @match &notes {
                None => p { (lang.t(K::NotesPrivate)) },
                Some(notes) => div data-test="notes" { (notes_list(lang, notes.as_ref())) },
            }
        }
        p { a href="/dashboard/visits" { (lang.t(K::BackToVisits)) } }
    };
    let title = format!("{} · {}", lang.t(K::Visit), when(row.scheduled_at));
    Ok(layout::page(&view.chrome(Nav::Visits), &title, body))
}

fn note_label(field: NoteField) -> K {
    match field {
        NoteField::HopesAndDreams => K::NoteHopesAndDreams,
        NoteField::Invitation => K::NoteInvitation,
        NoteField::FamilyExpectations => K::NoteFamilyExpectations,
        NoteField::SchoolExpectations => K::NoteSchoolExpectations,
        NoteField::CommunicationRhythm => K::NoteCommunicationRhythm,
        NoteField::Learned => K::NoteLearned,
        NoteField::AssumptionsChanged => K::NoteAssumptionsChanged,
        NoteField::UseInClass => K::NoteUseInClass,
        NoteField::NextSteps => K::NoteNextSteps,
    }
}

fn notes_list(lang: Lang, notes: Option<&VisitNotes>) -> Markup {
    let written: Vec<(NoteField, &str)> = notes
        .map(|n| NoteField::ALL.into_iter().map(|f| (f, n.field(f))).filter(|(_, t)| !t.trim().is_empty()).collect())
        .unwrap_or_default();
    html! {
        @if written.is_empty() {
            p { (lang.t(K::NotesNone)) }
        } @else {
            dl class="notes" {
                @for (field, text) in written {
                    dt { (lang.t(note_label(field))) }
                    dd { (text) }
                }
            }
        }
    }
}
