//! `HomevisitApp`: one per phone, opened with a data directory and the database key the shell
//! keeps in its keystore. Everything that touches the disk or the network is async and runs on
//! the library's own tokio runtime, so a shell's main thread never blocks.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use homevisit_docs::DocId;
use homevisit_model as model;
use homevisit_store::{DbKey, Store};
use homevisit_sync::SyncReport;
use homevisit_sync::agent::{Backoff, SyncAgent, SyncListener};
use homevisit_sync::client::{self, ClientError, RELAY_PEER, RelayClient, SyncHooks};
use homevisit_sync::device_session;
use zeroize::Zeroizing;

use crate::error::HomevisitError;
use crate::listeners::{DocumentChangeListener, Listeners, Subscription, SyncProgressListener};
use crate::types::*;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("homevisit")
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Runs `fut` on the library's runtime, whatever executor the binding polls from.
async fn run<T: Send + 'static>(
    fut: impl Future<Output = Result<T, HomevisitError>> + Send + 'static,
) -> Result<T, HomevisitError> {
    runtime().spawn(fut).await.map_err(|e| HomevisitError::Internal { reason: format!("task failed: {e}") })?
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A new random database key, hex: the shell keeps it in the Android Keystore / iOS Keychain.
#[uniffi::export]
pub fn generate_database_key() -> Result<String, HomevisitError> {
    let key = DbKey::generate().map_err(|_| HomevisitError::Internal { reason: "no system randomness".into() })?;
    // The one copy that leaves (wiped here): the shell keeps it in its keystore.
    Ok(key.to_hex().as_str().to_owned())
}

/// Opens (or creates) the phone's encrypted store in `data_dir` with `database_key` (64 hex).
/// If the phone is enrolled, syncing starts in the background.
#[uniffi::export]
pub async fn open_app(data_dir: String, database_key: String) -> Result<Arc<HomevisitApp>, HomevisitError> {
    let database_key = Zeroizing::new(database_key);
    run(async move {
        let key = DbKey::from_hex(&database_key)
            .ok_or_else(|| HomevisitError::Invalid { reason: "the database key must be 64 hex characters".into() })?;
        let dir = PathBuf::from(&data_dir);
        drop(database_key);
        let store = tokio::task::spawn_blocking(move || -> Result<Store, HomevisitError> {
            Ok(device_session::open_store(&dir, &key)?)
        })
        .await
        .map_err(|e| HomevisitError::Internal { reason: e.to_string() })??;
        let store = Arc::new(Mutex::new(store));
        crate::exit::track(&store);
        let inner = Arc::new(Inner {
            data_dir: PathBuf::from(data_dir),
            store: Mutex::new(Some(store)),
            reporter: Arc::new(Reporter { listeners: Arc::new(Listeners::default()), status: Mutex::default() }),
            agent: Mutex::new(None),
            live: Mutex::new(false),
        });
        inner.restart_agent()?;
        Ok(Arc::new(HomevisitApp { inner }))
    })
    .await
}

#[derive(Default)]
struct Status {
    last_success_ms: Option<i64>,
    last_error: Option<String>,
}

struct Inner {
    data_dir: PathBuf,
    /// `None` once signed out.
    store: Mutex<Option<Arc<Mutex<Store>>>>,
    /// Tells the shell's listeners how syncs go, and keeps the status line: for background syncs
    /// and `sync_now` alike.
    reporter: Arc<Reporter>,
    agent: Mutex<Option<SyncAgent>>,
    live: Mutex<bool>,
}

impl Inner {
    fn store(&self) -> Result<Arc<Mutex<Store>>, HomevisitError> {
        lock(&self.store).clone().ok_or(HomevisitError::Closed)
    }

    /// The relay client, if this phone is enrolled.
    fn client(&self) -> Result<Option<RelayClient>, HomevisitError> {
        let store = self.store()?;
        Ok(device_session::relay_client(&lock(&store))?)
    }

    /// (Re)starts background syncing in the current mode; stops it when not enrolled.
    fn restart_agent(&self) -> Result<(), HomevisitError> {
        let client = self.client()?;
        let mut agent = lock(&self.agent);
        *agent = None; // dropping the old agent stops it
        if let Some(client) = client {
            let _guard = runtime().enter();
            let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
            let store = self.store()?;
            *agent = Some(if *lock(&self.live) {
                SyncAgent::start_live(client, store, self.reporter.clone(), backoff)
            } else {
                SyncAgent::start(client, store, self.reporter.clone(), backoff)
            });
        }
        Ok(())
    }

    /// A local edit: let background sync push it.
    fn nudge(&self) {
        if let Some(agent) = lock(&self.agent).as_ref() {
            agent.nudge();
        }
    }
}

/// Sync reports, passed on to the shell's listeners and kept for the status line.
struct Reporter {
    listeners: Arc<Listeners>,
    status: Mutex<Status>,
}

fn progress_record(p: client::SyncProgress) -> SyncProgress {
    SyncProgress {
        documents_done: p.documents_done as u32,
        documents_total: p.documents_total as u32,
        bytes_sent: p.bytes_sent as u64,
        bytes_received: p.bytes_received as u64,
    }
}

impl SyncListener for Reporter {
    fn progress(&self, progress: client::SyncProgress) {
        self.listeners.progress(progress_record(progress));
    }

    fn finished(&self, result: &Result<SyncReport, ClientError>, _retry_in: Option<Duration>) {
        let error = result.as_ref().err().map(|e| HomevisitError::from(e).to_string());
        let mut status = lock(&self.status);
        match &error {
            None => {
                status.last_success_ms = Some(model::Timestamp::now().millis());
                status.last_error = None;
            }
            Some(e) => status.last_error = Some(e.clone()),
        }
        drop(status);
        self.listeners.finished(error);
    }

    fn documents_changed(&self, docs: Vec<DocId>) {
        self.listeners.changed(&docs);
    }
}

/// The app, one per phone. Kotlin: call `close()` (or `use {}`) when done; Swift releases it.
#[derive(uniffi::Object)]
pub struct HomevisitApp {
    inner: Arc<Inner>,
}

impl HomevisitApp {
    /// Runs `f` on the store, off the caller's thread.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, HomevisitError> + Send + 'static,
    ) -> Result<T, HomevisitError> {
        let store = self.inner.store()?;
        run(async move {
            tokio::task::spawn_blocking(move || f(&mut lock(&store)))
                .await
                .map_err(|e| HomevisitError::Internal { reason: format!("task failed: {e}") })?
        })
        .await
    }

    /// Like `with_store`, for a local edit: background sync pushes it afterwards.
    async fn edit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, HomevisitError> + Send + 'static,
    ) -> Result<T, HomevisitError> {
        let result = self.with_store(f).await?;
        self.inner.nudge();
        Ok(result)
    }
}

#[uniffi::export]
impl HomevisitApp {
    /// Today's visits (in the phone's time zone), earliest first.
    pub async fn todays_visits(&self) -> Result<Vec<VisitSummary>, HomevisitError> {
        self.with_store(|s| Ok(s.visits_today()?.into_iter().map(Into::into).collect())).await
    }

    /// The visits on `date` (YYYY-MM-DD) in the time zone `utc_offset_minutes` east of UTC.
    pub async fn visits_on_day(
        &self,
        date: String,
        utc_offset_minutes: i32,
    ) -> Result<Vec<VisitSummary>, HomevisitError> {
        let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| HomevisitError::Invalid { reason: "the date must be YYYY-MM-DD".into() })?;
        let offset = chrono::FixedOffset::east_opt(utc_offset_minutes.saturating_mul(60))
            .ok_or_else(|| HomevisitError::Invalid { reason: "the UTC offset is out of range".into() })?;
        self.with_store(move |s| Ok(s.visits_on_day(day, offset)?.into_iter().map(Into::into).collect())).await
    }

    /// The schools, educators and families on this phone (for planning screens).
    pub async fn roster(&self) -> Result<Roster, HomevisitError> {
        self.with_store(|s| {
            let today = model::Timestamp::now().day_utc();
            Ok(Roster {
                schools: s.schools()?.into_iter().map(|x| School { id: x.id.to_string(), name: x.name }).collect(),
                educators: s
                    .educators()?
                    .into_iter()
                    .map(|e| Educator {
                        id: e.id.to_string(),
                        school_id: e.school_id.to_string(),
                        trained: e.is_trained_on(today),
                        display_name: e.display_name,
                        role: e.role.as_str().to_string(),
                    })
                    .collect(),
                families: s
                    .families()?
                    .into_iter()
                    .map(|(id, school, name)| Family {
                        id: id.to_string(),
                        school_id: school.to_string(),
                        display_name: name,
                    })
                    .collect(),
            })
        })
        .await
    }

    /// One visit's plan and outcome.
    pub async fn visit(&self, visit_id: String) -> Result<Visit, HomevisitError> {
        let id: model::VisitId = parse_id("the visit", &visit_id)?;
        self.with_store(move |s| {
            let log = s.visit_log(id)?;
            Ok(Visit { plan: VisitPlan::from_model(log.plan), outcome: VisitOutcome::from_model(log.outcome) })
        })
        .await
    }

    /// Plans a new visit (checked against the rules: two or three adults, trained educators...);
    /// returns its id.
    pub async fn plan_visit(&self, plan: VisitPlan) -> Result<String, HomevisitError> {
        let id = if plan.visit_id.trim().is_empty() {
            model::VisitId(uuid::Uuid::new_v4())
        } else {
            parse_id("the visit", &plan.visit_id)?
        };
        let plan = plan.to_model(id)?;
        self.edit(move |s| Ok(s.plan_visit(&plan)?)).await?;
        Ok(id.to_string())
    }

    /// Changes a visit's plan (the outcome is kept).
    pub async fn update_plan(&self, plan: VisitPlan) -> Result<(), HomevisitError> {
        let plan = plan.to_model(parse_id("the visit", &plan.visit_id)?)?;
        self.edit(move |s| Ok(s.update_plan(&plan)?)).await
    }

    /// Records how the visit went (clears an earlier partner confirmation).
    pub async fn record_outcome(&self, visit_id: String, outcome: VisitOutcome) -> Result<(), HomevisitError> {
        let id: model::VisitId = parse_id("the visit", &visit_id)?;
        let outcome = outcome.to_model()?;
        self.edit(move |s| Ok(s.record_outcome(id, &outcome)?)).await
    }

    /// The partner confirms the recorded outcome.
    pub async fn confirm_visit(&self, visit_id: String, partner_id: String) -> Result<(), HomevisitError> {
        let id: model::VisitId = parse_id("the visit", &visit_id)?;
        let partner: model::EducatorId = parse_id("the partner", &partner_id)?;
        self.edit(move |s| Ok(s.confirm_visit(id, partner, model::Timestamp::now())?)).await
    }

    /// Conversation starters for visit 1 or 2 in `language` (a BCP 47 tag such as "es-MX"), or
    /// the closest language the school has.
    pub async fn prompt_pack(&self, language: String, visit_number: u8) -> Result<PromptPack, HomevisitError> {
        let language = model::Language::parse(&language)
            .ok_or_else(|| HomevisitError::Invalid { reason: "not a language tag".into() })?;
        let number = model::VisitNumber::from_number(visit_number)
            .ok_or_else(|| HomevisitError::Invalid { reason: "the visit number is 1 or 2".into() })?;
        self.with_store(move |s| Ok(s.prompt_pack(&language, number)?.into())).await
    }

    /// A note or debrief field's text.
    pub async fn note_text(&self, visit_id: String, field: NoteField) -> Result<String, HomevisitError> {
        let id: model::VisitId = parse_id("the visit", &visit_id)?;
        self.with_store(move |s| Ok(s.note(id, field.into())?)).await
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
        let id: model::VisitId = parse_id("the visit", &visit_id)?;
        self.edit(move |s| Ok(s.splice_note(id, field.into(), position as usize, delete_count as usize, &text)?)).await
    }

    /// Enrolls this phone with a relay using the invite code a coordinator gave; background
    /// syncing starts.
    pub async fn enroll(&self, relay_url: String, invite_code: String) -> Result<(), HomevisitError> {
        let store = self.inner.store()?;
        let inner = self.inner.clone();
        run(async move {
            let enrollment = device_session::enroll(&relay_url, &invite_code).await?;
            tokio::task::spawn_blocking(move || -> Result<(), HomevisitError> {
                Ok(device_session::save(&mut lock(&store), &enrollment.credentials)?)
            })
            .await
            .map_err(|e| HomevisitError::Internal { reason: e.to_string() })??;
            inner.restart_agent()
        })
        .await
    }

    /// Syncs with the relay now and returns what it did.
    pub async fn sync_now(&self) -> Result<SyncSummary, HomevisitError> {
        let client = self.inner.client()?.ok_or(HomevisitError::NotEnrolled)?;
        let store = self.inner.store()?;
        let reporter = self.inner.reporter.clone();
        run(async move {
            let progress = |p: client::SyncProgress| reporter.progress(p);
            let changed = |docs: Vec<DocId>| reporter.documents_changed(docs);
            let result = client.sync_with(&store, SyncHooks { progress: &progress, changed: &changed }).await;
            reporter.finished(&result, None);
            let report = result?;
            let unsynced = lock(&store).unsynced_count(RELAY_PEER)? as u32;
            Ok(SyncSummary {
                rounds: report.rounds as u32,
                messages_sent: report.messages_sent as u32,
                messages_received: report.messages_received as u32,
                bytes_sent: report.body_bytes_sent as u64,
                bytes_received: report.body_bytes_received as u64,
                documents_changed: report.changed.len() as u32,
                unsynced,
            })
        })
        .await
    }

    /// Live mode for co-editing at the same moment: between syncs the phone keeps a request open
    /// at the relay, so a partner's words arrive within moments. Off by default (battery).
    pub async fn set_live(&self, live: bool) -> Result<(), HomevisitError> {
        *lock(&self.inner.live) = live;
        let inner = self.inner.clone();
        run(async move { inner.restart_agent() }).await
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, HomevisitError> {
        let (live, reporter) = (*lock(&self.inner.live), self.inner.reporter.clone());
        self.with_store(move |s| {
            let status = lock(&reporter.status);
            let relay_url = device_session::load(s)?.map(|c| c.relay_url);
            Ok(SyncStatus {
                enrolled: relay_url.is_some(),
                relay_url,
                live,
                last_success_ms: status.last_success_ms,
                last_error: status.last_error.clone(),
                unsynced: s.unsynced_count(RELAY_PEER)? as u32,
            })
        })
        .await
    }

    /// Documents with changes the relay does not have yet.
    pub async fn unsynced_count(&self) -> Result<u32, HomevisitError> {
        self.with_store(|s| Ok(s.unsynced_count(RELAY_PEER)? as u32)).await
    }

    /// Calls `listener` with the progress of every sync until the subscription ends.
    pub fn subscribe_sync_progress(&self, listener: Arc<dyn SyncProgressListener>) -> Arc<Subscription> {
        self.inner.reporter.listeners.add_progress(listener)
    }

    /// Calls `listener` with the documents a sync changed until the subscription ends.
    pub fn subscribe_document_changes(&self, listener: Arc<dyn DocumentChangeListener>) -> Arc<Subscription> {
        self.inner.reporter.listeners.add_changes(listener)
    }

    /// Stops background syncing and ends every subscription, at once: no listener is called after
    /// this returns. For a shell (or a script) about to exit; the store stays open, so calls still
    /// work, and `set_live` or `enroll` start syncing again.
    pub fn shutdown(&self) {
        *lock(&self.inner.agent) = None;
        self.inner.reporter.listeners.clear();
    }

    /// Signs out: stops syncing, ends every subscription, and deletes this phone's store (notes
    /// not yet synced are lost: the shell asks first, showing `unsynced_count`). The app is
    /// closed afterwards; every call returns `Closed`.
    pub async fn sign_out_and_wipe(&self) -> Result<(), HomevisitError> {
        *lock(&self.inner.agent) = None;
        self.inner.reporter.listeners.clear();
        let store = lock(&self.inner.store).take().ok_or(HomevisitError::Closed)?;
        let dir = self.inner.data_dir.clone();
        run(async move {
            tokio::task::spawn_blocking(move || -> Result<(), HomevisitError> {
                // The credentials go first, so a file that cannot be deleted keeps no token. The
                // wipe below removes them anyway: a failure here must not stop it.
                let _ = device_session::forget(&mut lock(&store));
                drop(store); // the agent's clone went with it: this closes the database
                Ok(device_session::wipe(&dir)?)
            })
            .await
            .map_err(|e| HomevisitError::Internal { reason: e.to_string() })?
        })
        .await
    }
}

impl Drop for HomevisitApp {
    fn drop(&mut self) {
        // Stop background syncing with the app (the agent's task holds the store, not the app).
        *lock(&self.inner.agent) = None;
    }
}
