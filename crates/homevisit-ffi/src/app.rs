//! `HomevisitApp`: one per phone, opened with a data directory and the database key the shell
//! keeps in its keystore. A thin layer over `homevisit_sync::device_session::Device`: each method
//! converts its arguments, calls one device-session function and converts the result. Async
//! methods run on UniFFI's tokio support (`async_runtime = "tokio"`); the device session does the
//! disk work on tokio's blocking pool and syncs as tokio tasks, so a shell's thread never blocks.
//! Every call that can fail runs inside `boundary::contain`: no panic crosses untyped.

use std::path::PathBuf;
use std::sync::Arc;

use homevisit_model as model;
use homevisit_store::DbKey;
use homevisit_sync::device_session::Device;
use zeroize::Zeroizing;

use crate::boundary::{contain, contain_sync};
use crate::error::HomevisitError;
use crate::listeners::{DocumentChangeListener, Listeners, Subscription, SyncProgressListener};
use crate::peer::PeerExchange;
use crate::report::{CoordinatorReport, report_period};
use crate::types::*;

/// A new random database key, hex: the shell keeps it in the Android Keystore / iOS Keychain.
#[uniffi::export]
pub fn generate_database_key() -> Result<String, HomevisitError> {
    contain_sync(|| {
        let key = DbKey::generate().map_err(|_| HomevisitError::internal("key", "key.no_randomness"))?;
        // The one copy that leaves (wiped here): the shell keeps it in its keystore.
        Ok(key.to_hex().as_str().to_owned())
    })
}

/// Reads an enrollment link (`homevisit-enroll:<code>@<relay address>`, what a coordinator's QR code
/// holds) into the relay address and invite code that `enroll` takes. Anything else is `Invalid`
/// (the message never repeats what was scanned).
#[uniffi::export]
pub fn parse_enroll_link(link: String) -> Result<EnrollLink, HomevisitError> {
    contain_sync(|| {
        let parsed =
            homevisit_protocol::EnrollLink::parse(&link).map_err(|e| HomevisitError::invalid(e.to_string()))?;
        Ok(EnrollLink { relay_url: parsed.relay_url, invite_code: parsed.invite_code })
    })
}

/// Opens (or creates) the phone's encrypted store in `data_dir` with `database_key` (64 hex).
/// If the phone is enrolled, syncing starts in the background.
#[uniffi::export(async_runtime = "tokio")]
pub async fn open_app(data_dir: String, database_key: String) -> Result<Arc<HomevisitApp>, HomevisitError> {
    let database_key = Zeroizing::new(database_key);
    contain(async move {
        let key = DbKey::from_hex(&database_key)
            .ok_or_else(|| HomevisitError::invalid("the database key must be 64 hex characters"))?;
        drop(database_key);
        let listeners = Arc::new(Listeners::default());
        let device = Device::open(PathBuf::from(data_dir), key, listeners.clone()).await?;
        Ok(Arc::new(HomevisitApp { device, listeners }))
    })
    .await
}

/// The app, one per phone. Kotlin: call `close()` (or `use {}`) when done; Swift releases it.
/// Dropping it stops background sync.
#[derive(uniffi::Object)]
pub struct HomevisitApp {
    device: Device,
    /// The shell's listeners; every sync (background or `sync_now`) reports to them.
    listeners: Arc<Listeners>,
}

#[uniffi::export(async_runtime = "tokio")]
impl HomevisitApp {
    /// Today's visits (in the phone's time zone), earliest first.
    pub async fn todays_visits(&self) -> Result<Vec<VisitSummary>, HomevisitError> {
        contain(async {
            let visits = self.device.read(|s| s.visits_today()).await?;
            Ok(visits.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// The visits on `date` (YYYY-MM-DD) in the time zone `utc_offset_minutes` east of UTC.
    pub async fn visits_on_day(
        &self,
        date: String,
        utc_offset_minutes: i32,
    ) -> Result<Vec<VisitSummary>, HomevisitError> {
        contain(async {
            let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| HomevisitError::invalid("the date must be YYYY-MM-DD"))?;
            let offset = chrono::FixedOffset::east_opt(utc_offset_minutes.saturating_mul(60))
                .ok_or_else(|| HomevisitError::invalid("the UTC offset is out of range"))?;
            let visits = self.device.read(move |s| s.visits_on_day(day, offset)).await?;
            Ok(visits.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// The schools, educators and families on this phone (for planning screens).
    pub async fn roster(&self) -> Result<Roster, HomevisitError> {
        contain(async {
            let (schools, educators, families) = self
                .device
                .read(|s| Ok::<_, homevisit_store::StoreError>((s.schools()?, s.educators()?, s.families()?)))
                .await?;
            Ok(Roster::from_model(schools, educators, families, model::Timestamp::now().day_utc()))
        })
        .await
    }

    /// One family's record: language, interpreter need, the children's first names and grades.
    pub async fn family(&self, family_id: String) -> Result<FamilyDetails, HomevisitError> {
        contain(async {
            let id: model::FamilyId = parse_id("the family", &family_id)?;
            Ok(self.device.read(move |s| s.family(id)).await?.into())
        })
        .await
    }

    /// Every visit with one family on this phone, earliest first: before visit 2, the pair
    /// rereads visit 1 (`note_text` of its hopes and dreams).
    pub async fn family_visits(&self, family_id: String) -> Result<Vec<VisitSummary>, HomevisitError> {
        contain(async {
            let id: model::FamilyId = parse_id("the family", &family_id)?;
            let visits = self.device.read(move |s| s.visits_for_family(id)).await?;
            Ok(visits.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// One visit's plan and outcome.
    pub async fn visit(&self, visit_id: String) -> Result<Visit, HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let log = self.device.read(move |s| s.visit_log(id)).await?;
            Ok(Visit { plan: VisitPlan::from_model(log.plan), outcome: VisitOutcome::from_model(log.outcome) })
        })
        .await
    }

    /// Plans a new visit (checked against the rules: two or three adults, trained educators...);
    /// returns its id.
    pub async fn plan_visit(&self, plan: VisitPlan) -> Result<String, HomevisitError> {
        contain(async {
            let id = if plan.visit_id.trim().is_empty() {
                model::VisitId(uuid::Uuid::new_v4())
            } else {
                parse_id("the visit", &plan.visit_id)?
            };
            let plan = plan.to_model(id)?;
            self.device.edit(move |s| s.plan_visit(&plan)).await?;
            Ok(id.to_string())
        })
        .await
    }

    /// Changes a visit's plan (the outcome is kept).
    pub async fn update_plan(&self, plan: VisitPlan) -> Result<(), HomevisitError> {
        contain(async {
            let plan = plan.to_model(parse_id("the visit", &plan.visit_id)?)?;
            Ok(self.device.edit(move |s| s.update_plan(&plan)).await?)
        })
        .await
    }

    /// Records how the visit went (clears an earlier partner confirmation).
    pub async fn record_outcome(&self, visit_id: String, outcome: VisitOutcome) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let outcome = outcome.to_model()?;
            Ok(self.device.edit(move |s| s.record_outcome(id, &outcome)).await?)
        })
        .await
    }

    /// The partner confirms the recorded outcome.
    pub async fn confirm_visit(&self, visit_id: String, partner_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let partner: model::EducatorId = parse_id("the partner", &partner_id)?;
            Ok(self.device.edit(move |s| s.confirm_visit(id, partner, model::Timestamp::now())).await?)
        })
        .await
    }

    /// A coordinator confirms a completed visit made by one educator with a separate interpreter
    /// (there is no partner to confirm it; the relay accepts it only from a coordinator's device,
    /// and records which one).
    pub async fn coordinator_confirm_visit(&self, visit_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            Ok(self.device.edit(move |s| s.coordinator_confirm_visit(id, model::Timestamp::now())).await?)
        })
        .await
    }

    /// The family said no to this visit, or withdrew: recorded by `educator_id` (one of the
    /// visit's educators) on the visit, offline if need be. The family is not planned again
    /// (`plan_visit` fails with `Invalid`) until a coordinator records its renewed agreement.
    pub async fn record_family_decline(&self, visit_id: String, educator_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let by: model::EducatorId = parse_id("the educator", &educator_id)?;
            Ok(self.device.edit(move |s| s.record_family_decline(id, by)).await?)
        })
        .await
    }

    /// Whether the family's "no" stands on this phone (then the planning screen leaves it out).
    pub async fn family_declined(&self, family_id: String) -> Result<bool, HomevisitError> {
        contain(async {
            let id: model::FamilyId = parse_id("the family", &family_id)?;
            Ok(self.device.read(move |s| s.family_declined(id)).await?)
        })
        .await
    }

    /// A coordinator records that the family agreed to visits again (the relay accepts it only
    /// from a coordinator's device): it lifts the declines this phone holds.
    pub async fn renew_family_agreement(&self, family_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::FamilyId = parse_id("the family", &family_id)?;
            Ok(self.device.edit(move |s| s.renew_family_agreement(id, model::Timestamp::now())).await?)
        })
        .await
    }

    /// Conversation starters for visit 1 or 2 in `language` (a BCP 47 tag such as "es-MX"), or
    /// the closest language the school has.
    pub async fn prompt_pack(&self, language: String, visit_number: u8) -> Result<PromptPack, HomevisitError> {
        contain(async {
            let language =
                model::Language::parse(&language).ok_or_else(|| HomevisitError::invalid("not a language tag"))?;
            let number = model::VisitNumber::from_number(visit_number)
                .ok_or_else(|| HomevisitError::invalid("the visit number is 1 or 2"))?;
            Ok(self.device.read(move |s| s.prompt_pack(&language, number)).await?.into())
        })
        .await
    }

    /// Conversation starters for a visit: in its family's preferred language, for its visit
    /// number, the visit's school's pack first, then the district's, then the built-in one; a
    /// language without a pack falls back to its primary tag, then English.
    pub async fn prompts_for_visit(&self, visit_id: String) -> Result<PromptPack, HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            Ok(self.device.read(move |s| s.prompts_for_visit(id)).await?.into())
        })
        .await
    }

    /// A note or debrief field's text.
    pub async fn note_text(&self, visit_id: String, field: NoteField) -> Result<String, HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            Ok(self.device.read(move |s| s.note(id, field.into())).await?)
        })
        .await
    }

    /// Deletes `delete_count` UTF-16 units at `position` of a field and inserts `text` there: what a
    /// text field reports as the user types. Both partners may type into one field at once.
    pub async fn splice_note(
        &self,
        visit_id: String,
        field: NoteField,
        position: u32,
        delete_count: u32,
        text: String,
    ) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let (position, delete_count) = (position as usize, delete_count as usize);
            Ok(self.device.edit(move |s| s.splice_note(id, field.into(), position, delete_count, &text)).await?)
        })
        .await
    }

    /// Whether the pair has marked its debrief done, and who and when; `None` until then.
    pub async fn debrief_done(&self, visit_id: String) -> Result<Option<DebriefDone>, HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            Ok(self.device.read(move |s| s.visit_notes(id)).await?.debrief_done.map(Into::into))
        })
        .await
    }

    /// Marks the debrief done, by `educator_id` (one of the visit's educators), now.
    pub async fn mark_debrief_done(&self, visit_id: String, educator_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            let by: model::EducatorId = parse_id("the educator", &educator_id)?;
            Ok(self.device.edit(move |s| s.mark_debrief_done(id, by, model::Timestamp::now())).await?)
        })
        .await
    }

    /// Takes the "debrief done" mark back (the pair has more to write).
    pub async fn reopen_debrief(&self, visit_id: String) -> Result<(), HomevisitError> {
        contain(async {
            let id: model::VisitId = parse_id("the visit", &visit_id)?;
            Ok(self.device.edit(move |s| s.reopen_debrief(id)).await?)
        })
        .await
    }

    /// A coordinator's report over the days `from_day` to `to_day` (YYYY-MM-DD, both included,
    /// UTC), from what this phone holds (a school coordinator's phone: its school; a district
    /// administrator's: every school; an educator's: only its own visits, so its numbers are
    /// partial): reach and staff participation per school, visits per educator. Bad days, or the
    /// first after the last, are `Invalid`.
    pub async fn coordinator_report(
        &self,
        from_day: String,
        to_day: String,
    ) -> Result<CoordinatorReport, HomevisitError> {
        contain(async {
            let period = report_period(&from_day, &to_day)?;
            // Computed beside the store, off the caller's thread.
            let report = self
                .device
                .read(move |s| Ok::<_, homevisit_store::StoreError>(CoordinatorReport::of(&s.report_data()?, &period)))
                .await?;
            Ok(report)
        })
        .await
    }

    /// Enrolls this phone with a relay using the invite code a coordinator gave; background
    /// syncing starts.
    pub async fn enroll(&self, relay_url: String, invite_code: String) -> Result<(), HomevisitError> {
        contain(async {
            self.device.enroll(&relay_url, &invite_code).await?;
            Ok(())
        })
        .await
    }

    /// Who this phone is, as the relay said when it enrolled; `None` if not enrolled (or enrolled
    /// with a relay too old to say).
    pub async fn whoami(&self) -> Result<Option<Identity>, HomevisitError> {
        contain(async { Ok(self.device.whoami().await?.map(Into::into)) }).await
    }

    /// Whether this phone's school shares visit notes with its coordinators (the district's
    /// policy, as the relay said at the last sync); `None` before the first sync. The settings
    /// screen shows it: a teacher should know who may read what they write.
    pub async fn school_shares_notes(&self) -> Result<Option<bool>, HomevisitError> {
        contain(async { Ok(self.device.school_shares_notes().await?) }).await
    }

    /// Syncs with the relay now and returns what it did. A phone the relay revoked wipes its
    /// store and returns `Revoked`.
    pub async fn sync_now(&self) -> Result<SyncSummary, HomevisitError> {
        contain(async {
            let summary = self.device.sync_now().await.map_err(HomevisitError::of_reported_sync)?;
            Ok(SyncSummary::from(summary))
        })
        .await
    }

    /// Live mode for co-editing at the same moment: between syncs the phone keeps a request open
    /// at the relay, so a partner's words arrive within moments. Off by default (battery).
    pub async fn set_live(&self, live: bool) -> Result<(), HomevisitError> {
        contain(async { Ok(self.device.set_live(live).await?) }).await
    }

    /// The status line; `revoked` once the relay revoked this phone (its data is wiped).
    pub async fn sync_status(&self) -> Result<SyncStatus, HomevisitError> {
        contain(async { Ok(SyncStatus::from(self.device.status().await?)) }).await
    }

    /// Every document with changes the relay does not have yet, and why the relay refused any it
    /// refused: the sync status screen.
    pub async fn pending_documents(&self) -> Result<Vec<PendingDocument>, HomevisitError> {
        contain(async { Ok(self.device.pending().await?.into_iter().map(Into::into).collect()) }).await
    }

    /// Documents with changes the relay does not have yet.
    pub async fn unsynced_count(&self) -> Result<u32, HomevisitError> {
        contain(async { Ok(self.device.unsynced_count().await? as u32) }).await
    }

    /// Signs out: stops syncing, ends every subscription, and deletes this phone's store (notes
    /// not yet synced are lost: the shell asks first, showing `unsynced_count`). The app is
    /// closed afterwards; every call returns `Closed`.
    pub async fn sign_out_and_wipe(&self) -> Result<(), HomevisitError> {
        contain(async {
            self.listeners.clear();
            Ok(self.device.sign_out_and_wipe().await?)
        })
        .await
    }
}

#[uniffi::export]
impl HomevisitApp {
    /// Starts a phone-to-phone exchange about `visit_id` with the partner's phone (no relay, no
    /// signal needed; see `PeerExchange`). `partner_id` is the partner's educator id: this phone
    /// keeps what it knows the partner's phone has under it. Only that visit's log and notes are
    /// sent or accepted.
    pub fn start_peer_exchange(
        &self,
        visit_id: String,
        partner_id: String,
    ) -> Result<Arc<PeerExchange>, HomevisitError> {
        contain_sync(|| {
            let visit: model::VisitId = parse_id("the visit", &visit_id)?;
            let partner: model::EducatorId = parse_id("the partner", &partner_id)?;
            let peer = homevisit_sync::PeerId::parse(&partner.to_string())
                .map_err(|_| HomevisitError::invalid("the partner is not a valid id"))?;
            Ok(Arc::new(PeerExchange { inner: self.device.peer_exchange(visit, peer)? }))
        })
    }

    /// Calls `listener` with the progress of every sync until the subscription ends.
    pub fn subscribe_sync_progress(&self, listener: Arc<dyn SyncProgressListener>) -> Arc<Subscription> {
        self.listeners.add_progress(listener)
    }

    /// Calls `listener` with the documents a sync changed until the subscription ends.
    pub fn subscribe_document_changes(&self, listener: Arc<dyn DocumentChangeListener>) -> Arc<Subscription> {
        self.listeners.add_changes(listener)
    }

    /// Stops background syncing and ends every subscription, at once: no listener is called after
    /// this returns. For a shell (or a script) about to exit; the store stays open, so calls still
    /// work, and `set_live` or `enroll` start syncing again.
    pub fn shutdown(&self) {
        self.device.stop_syncing();
        self.listeners.clear();
    }
}
