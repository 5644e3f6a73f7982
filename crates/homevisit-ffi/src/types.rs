//! What crosses the boundary: plain records and enums the shells bind screens to, and their
//! conversion from and to the domain model. Ids are UUID strings; times are milliseconds since the
//! Unix epoch (UTC); text positions are UTF-16 units, as Kotlin and Swift strings count them.

use homevisit_model as model;
use homevisit_store::VisitSummary as StoreSummary;
use homevisit_sync::device_session::{DeviceStatus, SyncFailure, SyncOutcome};

use crate::error::{HomevisitError, bad_id};

pub(crate) fn parse_id<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, HomevisitError> {
    s.trim().parse().map_err(|_| bad_id(what))
}

pub(crate) fn timestamp(what: &str, ms: i64) -> Result<model::Timestamp, HomevisitError> {
    model::Timestamp::from_millis(ms).ok_or_else(|| HomevisitError::invalid(format!("{what} is out of range")))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum VisitStatus {
    Planned,
    Confirmed,
    Completed,
    FamilyNotHome,
    Cancelled,
    Rescheduled,
    /// The family said no to this visit or withdrew: it is not offered for planning again until
    /// a coordinator records its renewed agreement.
    FamilyDeclined,
}

impl From<model::VisitStatus> for VisitStatus {
    fn from(s: model::VisitStatus) -> Self {
        match s {
            model::VisitStatus::Planned => Self::Planned,
            model::VisitStatus::Confirmed => Self::Confirmed,
            model::VisitStatus::Completed => Self::Completed,
            model::VisitStatus::FamilyNotHome => Self::FamilyNotHome,
            model::VisitStatus::Cancelled => Self::Cancelled,
            model::VisitStatus::Rescheduled => Self::Rescheduled,
            model::VisitStatus::FamilyDeclined => Self::FamilyDeclined,
        }
    }
}

impl From<VisitStatus> for model::VisitStatus {
    fn from(s: VisitStatus) -> Self {
        match s {
            VisitStatus::Planned => Self::Planned,
            VisitStatus::Confirmed => Self::Confirmed,
            VisitStatus::Completed => Self::Completed,
            VisitStatus::FamilyNotHome => Self::FamilyNotHome,
            VisitStatus::Cancelled => Self::Cancelled,
            VisitStatus::Rescheduled => Self::Rescheduled,
            VisitStatus::FamilyDeclined => Self::FamilyDeclined,
        }
    }
}

/// A free-text field of a visit's notes (after the visit) or the pair's debrief.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum NoteField {
    HopesAndDreams,
    Invitation,
    FamilyExpectations,
    SchoolExpectations,
    CommunicationRhythm,
    Learned,
    AssumptionsChanged,
    UseInClass,
    NextSteps,
}

impl From<NoteField> for model::NoteField {
    fn from(f: NoteField) -> Self {
        match f {
            NoteField::HopesAndDreams => Self::HopesAndDreams,
            NoteField::Invitation => Self::Invitation,
            NoteField::FamilyExpectations => Self::FamilyExpectations,
            NoteField::SchoolExpectations => Self::SchoolExpectations,
            NoteField::CommunicationRhythm => Self::CommunicationRhythm,
            NoteField::Learned => Self::Learned,
            NoteField::AssumptionsChanged => Self::AssumptionsChanged,
            NoteField::UseInClass => Self::UseInClass,
            NoteField::NextSteps => Self::NextSteps,
        }
    }
}

/// Where a visit happens.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Place {
    Home,
    /// A library, a park, a café: the description says which.
    Neutral {
        description: String,
    },
    Virtual,
}

impl From<model::Place> for Place {
    fn from(p: model::Place) -> Self {
        match p {
            model::Place::Home => Self::Home,
            model::Place::Neutral { description } => Self::Neutral { description },
            model::Place::Virtual => Self::Virtual,
        }
    }
}

impl From<Place> for model::Place {
    fn from(p: Place) -> Self {
        match p {
            Place::Home => Self::Home,
            Place::Neutral { description } => Self::Neutral { description },
            Place::Virtual => Self::Virtual,
        }
    }
}

/// An interpreter on the visit: an educator who speaks the language, or a separate adult.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Interpreter {
    pub language: String,
    /// A separate interpreter counts as one of the adults on the visit.
    pub separate: bool,
}

/// A visit's plan, as a planning screen edits it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VisitPlan {
    /// Empty when planning a new visit (an id is made); the visit's id when updating.
    pub visit_id: String,
    pub family_id: String,
    pub school_id: String,
    /// 1 (summer/fall relationship-building visit) or 2 (winter/spring).
    pub visit_number: u8,
    pub educator_ids: Vec<String>,
    pub interpreter: Option<Interpreter>,
    pub place: Place,
    pub scheduled_at_ms: i64,
    pub expected_end_ms: Option<i64>,
    /// When the family agreed to the visit, and who recorded it.
    pub family_agreed_at_ms: Option<i64>,
    pub agreement_recorded_by: Option<String>,
}

impl VisitPlan {
    pub(crate) fn to_model(&self, id: model::VisitId) -> Result<model::VisitPlan, HomevisitError> {
        let visit_number = model::VisitNumber::from_number(self.visit_number)
            .ok_or_else(|| HomevisitError::invalid("the visit number is 1 or 2"))?;
        let interpreter = match &self.interpreter {
            Some(i) => Some(model::Interpreter {
                language: model::Language::parse(&i.language)
                    .ok_or_else(|| HomevisitError::invalid("not a language tag"))?,
                kind: if i.separate { model::InterpreterKind::Separate } else { model::InterpreterKind::Educator },
            }),
            None => None,
        };
        let family_agreement = match (self.family_agreed_at_ms, &self.agreement_recorded_by) {
            (Some(at), Some(by)) => Some(model::FamilyAgreement {
                agreed_at: timestamp("the agreement time", at)?,
                recorded_by: parse_id("the educator who recorded the agreement", by)?,
            }),
            (None, None) => None,
            _ => {
                return Err(HomevisitError::invalid("a family agreement needs both its time and who recorded it"));
            }
        };
        Ok(model::VisitPlan {
            id,
            family_id: parse_id("the family", &self.family_id)?,
            school_id: parse_id("the school", &self.school_id)?,
            visit_number,
            educator_ids: self.educator_ids.iter().map(|e| parse_id("an educator", e)).collect::<Result<_, _>>()?,
            interpreter,
            place: self.place.clone().into(),
            scheduled_at: timestamp("the visit time", self.scheduled_at_ms)?,
            family_agreement,
            expected_end: self.expected_end_ms.map(|ms| timestamp("the expected end", ms)).transpose()?,
        })
    }

    pub(crate) fn from_model(p: model::VisitPlan) -> Self {
        Self {
            visit_id: p.id.to_string(),
            family_id: p.family_id.to_string(),
            school_id: p.school_id.to_string(),
            visit_number: p.visit_number.number(),
            educator_ids: p.educator_ids.iter().map(|e| e.to_string()).collect(),
            interpreter: p.interpreter.map(|i| Interpreter {
                language: i.language.to_string(),
                separate: i.kind == model::InterpreterKind::Separate,
            }),
            place: p.place.into(),
            scheduled_at_ms: p.scheduled_at.millis(),
            expected_end_ms: p.expected_end.map(|t| t.millis()),
            family_agreed_at_ms: p.family_agreement.as_ref().map(|a| a.agreed_at.millis()),
            agreement_recorded_by: p.family_agreement.map(|a| a.recorded_by.to_string()),
        }
    }
}

/// A row of "today's visits".
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VisitSummary {
    pub visit_id: String,
    pub family_id: String,
    /// `None` until the family's record reaches this phone.
    pub family_name: Option<String>,
    pub school_id: String,
    pub scheduled_at_ms: i64,
    pub visit_number: u8,
    pub status: VisitStatus,
    pub place_kind: String,
    pub interpreter: bool,
    pub educator_ids: Vec<String>,
    pub partner_confirmed: bool,
}

impl From<StoreSummary> for VisitSummary {
    fn from(s: StoreSummary) -> Self {
        Self {
            visit_id: s.visit_id.to_string(),
            family_id: s.family_id.to_string(),
            family_name: s.family_name,
            school_id: s.school_id.to_string(),
            scheduled_at_ms: s.scheduled_at.millis(),
            visit_number: s.visit_number.number(),
            status: s.status.into(),
            place_kind: s.place_kind,
            interpreter: s.interpreter,
            educator_ids: s.educator_ids.iter().map(|e| e.to_string()).collect(),
            partner_confirmed: s.partner_confirmed,
        }
    }
}

/// How a visit went, as the educator who made it records it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VisitOutcome {
    pub status: VisitStatus,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub recorded_by: Option<String>,
    /// The partner who confirmed this outcome (read only: set by `confirm_visit`).
    pub confirmed_by: Option<String>,
    pub confirmed_at_ms: Option<i64>,
    /// When the school's coordinator confirmed a visit made by one educator with an interpreter
    /// (read only: set by `coordinator_confirm_visit`; the relay records whose device it was).
    /// Last, with a default, so shells that build an outcome need not name it.
    #[uniffi(default)]
    pub coordinator_confirmed_at_ms: Option<i64>,
}

impl VisitOutcome {
    pub(crate) fn to_model(&self) -> Result<model::VisitOutcome, HomevisitError> {
        Ok(model::VisitOutcome {
            status: self.status.into(),
            started_at: self.started_at_ms.map(|ms| timestamp("the start", ms)).transpose()?,
            ended_at: self.ended_at_ms.map(|ms| timestamp("the end", ms)).transpose()?,
            recorded_by: self.recorded_by.as_deref().map(|e| parse_id("the educator", e)).transpose()?,
            partner_confirmation: None,
            coordinator_confirmation: None,
        })
    }

    pub(crate) fn from_model(o: model::VisitOutcome) -> Self {
        Self {
            status: o.status.into(),
            started_at_ms: o.started_at.map(|t| t.millis()),
            ended_at_ms: o.ended_at.map(|t| t.millis()),
            recorded_by: o.recorded_by.map(|e| e.to_string()),
            confirmed_by: o.partner_confirmation.as_ref().map(|c| c.educator_id.to_string()),
            confirmed_at_ms: o.partner_confirmation.map(|c| c.confirmed_at.millis()),
            coordinator_confirmed_at_ms: o.coordinator_confirmation.map(|c| c.confirmed_at.millis()),
        }
    }
}

/// The pair's mark that its debrief is finished: who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DebriefDone {
    pub educator_id: String,
    pub at_ms: i64,
}

impl From<model::DebriefDone> for DebriefDone {
    fn from(d: model::DebriefDone) -> Self {
        Self { educator_id: d.by.to_string(), at_ms: d.at.millis() }
    }
}

/// One visit: its plan and how it went.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Visit {
    pub plan: VisitPlan,
    pub outcome: VisitOutcome,
}

/// Conversation starters for a visit, in the family's language where the school has them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PromptPack {
    /// The language the prompts are in (may differ from the one asked for: the closest available).
    pub language: String,
    pub visit_number: u8,
    pub title: String,
    pub prompts: Vec<String>,
    /// The school whose pack this is; `None` for the district's (or the app's built-in) pack.
    pub school_id: Option<String>,
    /// Whether a native speaker has reviewed the wording. A shell may flag an unreviewed
    /// translation (the built-in ones are drafts).
    pub reviewed: bool,
    /// Who reviewed it and when (YYYY-MM-DD), when reviewed.
    pub reviewed_by: Option<String>,
    pub reviewed_on: Option<String>,
    /// A word for coordinators about the pack (for example that it is an unreviewed draft).
    pub note: Option<String>,
}

impl From<model::PromptPack> for PromptPack {
    fn from(p: model::PromptPack) -> Self {
        Self {
            language: p.language.to_string(),
            visit_number: p.visit_number.number(),
            title: p.title,
            prompts: p.prompts,
            school_id: p.school_id.map(|s| s.to_string()),
            reviewed: p.reviewed.is_some(),
            reviewed_by: p.reviewed.as_ref().map(|r| r.by.clone()),
            reviewed_on: p.reviewed.as_ref().map(|r| r.on.to_string()),
            note: p.note,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Educator {
    pub id: String,
    pub school_id: String,
    pub display_name: String,
    /// teacher, coordinator, ...
    pub role: String,
    /// Trained in PTHV (on or before today).
    pub trained: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Family {
    pub id: String,
    pub school_id: String,
    pub display_name: String,
}

/// A child of the family: first name and grade only (the model does not target students).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Student {
    pub first_name: String,
    /// "PK", "K" or "1" to "12".
    pub grade: String,
}

/// One family's record, as a screen before a visit shows it: the language to speak (and pick the
/// conversation starters in), whether an interpreter is needed, the children.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FamilyDetails {
    pub id: String,
    pub school_id: String,
    pub display_name: String,
    /// A BCP 47 tag, e.g. "es" or "vi".
    pub preferred_language: String,
    pub interpreter_needed: bool,
    pub students: Vec<Student>,
}

impl From<model::Family> for FamilyDetails {
    fn from(f: model::Family) -> Self {
        Self {
            id: f.id.to_string(),
            school_id: f.school_id.to_string(),
            display_name: f.display_name,
            preferred_language: f.preferred_language.to_string(),
            interpreter_needed: f.interpreter_needed,
            students: f
                .students
                .into_iter()
                .map(|s| Student { first_name: s.first_name, grade: s.grade.label().to_string() })
                .collect(),
        }
    }
}

/// What a phone was enrolled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceRole {
    /// An educator's phone: their visits, their school's roster.
    Educator,
    /// A school coordinator's: the school's visit logs (notes only by the school's policy).
    SchoolCoordinator,
    /// A district administrator's: every school's logs, the prompt packs.
    DistrictAdmin,
}

/// Who this phone is, as the relay said when it enrolled (ids only). Access is decided on the
/// relay; this is for the app to choose its screens.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    pub role: DeviceRole,
    /// The school it was enrolled in (a district administrator covers every school).
    pub school_id: String,
    /// The educator, for an educator's phone.
    pub educator_id: Option<String>,
}

impl From<homevisit_sync::identity::Identity> for Identity {
    fn from(i: homevisit_sync::identity::Identity) -> Self {
        use homevisit_sync::identity::DeviceRole as R;
        Self {
            role: match i.role {
                R::Educator => DeviceRole::Educator,
                R::SchoolCoordinator => DeviceRole::SchoolCoordinator,
                R::DistrictAdmin => DeviceRole::DistrictAdmin,
            },
            school_id: i.school_id.to_string(),
            educator_id: i.educator_id.map(|e| e.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct School {
    pub id: String,
    pub name: String,
}

/// Who and what a planning screen can choose from.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Roster {
    pub schools: Vec<School>,
    pub educators: Vec<Educator>,
    pub families: Vec<Family>,
}

impl Roster {
    /// `trained` is as of `today`.
    pub(crate) fn from_model(
        schools: Vec<model::School>,
        educators: Vec<model::Educator>,
        families: Vec<(model::FamilyId, model::SchoolId, String)>,
        today: model::Day,
    ) -> Self {
        Roster {
            schools: schools.into_iter().map(|x| School { id: x.id.to_string(), name: x.name }).collect(),
            educators: educators
                .into_iter()
                .map(|e| Educator {
                    id: e.id.to_string(),
                    school_id: e.school_id.to_string(),
                    trained: e.is_trained_on(today),
                    display_name: e.display_name,
                    role: e.role.as_str().to_string(),
                })
                .collect(),
            families: families
                .into_iter()
                .map(|(id, school, name)| Family {
                    id: id.to_string(),
                    school_id: school.to_string(),
                    display_name: name,
                })
                .collect(),
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    pub rounds: u32,
    pub messages_sent: u32,
    pub messages_received: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Documents whose content changed on this phone.
    pub documents_changed: u32,
    /// Documents not yet on the relay after this sync.
    pub unsynced: u32,
}

impl From<SyncOutcome> for SyncSummary {
    fn from(SyncOutcome { report, unsynced }: SyncOutcome) -> Self {
        Self {
            rounds: report.rounds as u32,
            messages_sent: report.messages_sent as u32,
            messages_received: report.messages_received as u32,
            bytes_sent: report.body_bytes_sent as u64,
            bytes_received: report.body_bytes_received as u64,
            documents_changed: report.changed.len() as u32,
            unsynced: unsynced as u32,
        }
    }
}

/// For a status line: enrolled or not, when the last sync ended and how.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub relay_url: Option<String>,
    pub live: bool,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub unsynced: u32,
    /// The relay revoked this phone: its data was wiped and syncing stopped.
    pub revoked: bool,
    /// Why the last sync failed, typed (for a shell to word and to pick an icon; `last_error` is
    /// the English message). `None` once a sync succeeds again.
    #[uniffi(default)]
    pub last_failure: Option<SyncProblem>,
}

/// Why a sync failed, for a status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncProblem {
    /// No signal, or the relay is down: the next sync retries.
    Offline,
    /// The relay does not know this phone.
    Unauthorized,
    /// The relay revoked this phone (its data is wiped).
    Revoked,
    /// The relay asked the phone to slow down.
    RateLimited,
    /// The relay address is not https.
    InsecureUrl,
    /// The relay answered with an error.
    RelayRefused,
    /// Anything else (a bug report's matter; the code is in the log).
    Unexpected,
}

impl From<SyncFailure> for SyncProblem {
    fn from(f: SyncFailure) -> Self {
        match f {
            SyncFailure::Offline => SyncProblem::Offline,
            SyncFailure::Unauthorized => SyncProblem::Unauthorized,
            SyncFailure::Revoked => SyncProblem::Revoked,
            SyncFailure::RateLimited => SyncProblem::RateLimited,
            SyncFailure::InsecureUrl => SyncProblem::InsecureUrl,
            SyncFailure::Refused(_) => SyncProblem::RelayRefused,
            SyncFailure::Unexpected { .. } => SyncProblem::Unexpected,
        }
    }
}

impl From<DeviceStatus> for SyncStatus {
    fn from(s: DeviceStatus) -> Self {
        Self {
            enrolled: s.relay_url.is_some(),
            relay_url: s.relay_url,
            live: s.live,
            last_success_ms: s.last.succeeded_at.map(|t| t.millis()),
            // The public message (already logged when the sync reported it).
            last_error: s.last.failure.map(|f| HomevisitError::of_failure(f).to_string()),
            unsynced: s.unsynced as u32,
            revoked: s.revoked,
            last_failure: if s.revoked { Some(SyncProblem::Revoked) } else { s.last.failure.map(Into::into) },
        }
    }
}

/// Progress of a sync under way.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgress {
    pub documents_done: u32,
    pub documents_total: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// A document that changed on this phone because of a sync (a partner's words arrived).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ChangedDocument {
    /// visit-log, visit-notes, family, educator, school, prompt-pack
    pub kind: String,
    /// For visit documents, the visit's id.
    pub id: String,
}

/// Why the relay refused a document (the shell words it for a teacher).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RefusalReason {
    /// This phone may not write it (e.g. a visit of another school, or a family's "no").
    NotAllowed,
    /// The relay could not read it or it grew past its size limit.
    Damaged,
    /// This phone is over the relay's storage quota: a coordinator's matter.
    OverQuota,
}

/// A document waiting to reach the relay: the sync status screen's "what is waiting and why".
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PendingDocument {
    /// visit-log, visit-notes, family, educator, school, prompt-pack
    pub kind: String,
    /// For visit documents, the visit's id.
    pub id: String,
    /// Why the relay refused it at the last sync; `None`: not sent yet.
    pub refused: Option<RefusalReason>,
}

impl From<homevisit_sync::device_session::Pending> for PendingDocument {
    fn from(p: homevisit_sync::device_session::Pending) -> Self {
        use homevisit_sync::RejectReason as R;
        Self {
            kind: p.doc.kind.as_str().to_string(),
            id: p.doc.id.to_string(),
            refused: p.refused.and_then(|r| match r {
                R::Forbidden => Some(RefusalReason::NotAllowed),
                R::Malformed => Some(RefusalReason::Damaged),
                R::OverQuota => Some(RefusalReason::OverQuota),
                R::Busy => None,
            }),
        }
    }
}

/// What an enrollment link (a coordinator's QR code) names: `enroll`'s two arguments.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct EnrollLink {
    pub relay_url: String,
    pub invite_code: String,
}
