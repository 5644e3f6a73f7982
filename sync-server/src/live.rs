//! Live mode: a sync request may wait for news (`POST /v1/sync?wait_ms=N`), so a partner's edit
//! reaches a device as soon as the relay stores it, over plain HTTP (one long-poll at a time per
//! device; no socket to keep alive through proxies, and the same authentication, rate limit and
//! access checks as every sync).
//!
//! A device in live mode sends `wait_ms` with every request of its sessions. Only a request that
//! sends nothing (a question: "anything for me?") waits; one that sends something is answered at
//! once, like any sync. Over its device's rate limit, a live request waits its turn (at most
//! [`MAX_TURN_WAIT`]) instead of being refused, so partners typing fast are paced rather than sent
//! into a retry backoff; the limit itself holds for every request.
//!
//! The handler subscribes to [`crate::Relay::changes`] *before* it runs the request's session, so a
//! change stored while that session runs is never missed. If the answer carries nothing, it waits
//! here for a change (this instance's, or another instance's on the same storage), for the relay to
//! shut down, or for the deadline. A change the device may not read (another school's, another
//! pair's visit: [`Announcement::concerns`]) does not wake it; one it may read makes it look again
//! (an empty-batch session for the device, authenticated again, and counted against its rate
//! limit); the first look with news is the answer. A device waits once at a time: a new wait
//! ends its previous one at once ([`Waits`]), so a device cannot hold a hundred. A shutting-down relay and
//! the deadline answer the empty batch at once, so a graceful shutdown is never held up by waiting
//! devices; a device that goes away (its connection closes) drops its wait.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_docs::{DocKind, Scope};
use homevisit_model::{EducatorId, SchoolId};
use homevisit_sync::{Access, DeviceId};
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use crate::Device;
use crate::backend::Changed;
use crate::policy::{NotesSharing, permission};

/// The longest a request may wait (a longer `wait_ms` is cut to this): under the 30 s idle
/// timeouts common in the proxies and load balancers a relay sits behind.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(25);

/// How long a live request over its device's rate limit may wait for its turn instead of being
/// refused (429).
pub(crate) const MAX_TURN_WAIT: Duration = Duration::from_millis(250);

/// Announcements a waiting request may fall behind by before it simply looks (a burst of
/// changes: it then cannot tell which concern it, and one look settles it).
const ANNOUNCEMENTS_BUFFERED: usize = 1024;

/// The wait a request asks for: `wait_ms` in its query string, capped at [`MAX_WAIT`]. Absent or 0
/// means no wait (an ordinary sync); `None` if the value is not a number.
pub(crate) fn requested_wait(query: Option<&str>) -> Option<Duration> {
    let mut wait = Duration::ZERO;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "wait_ms" {
            wait = Duration::from_millis(value.parse().ok()?).min(MAX_WAIT);
        }
    }
    Some(wait)
}

/// Something was stored.
#[derive(Clone, Debug)]
pub(crate) enum Announcement {
    /// These documents changed (their kinds and the relay's scopes of them).
    Changed(Arc<[Changed]>),
    /// Something changed, it is not known what (an import; another instance's change too large
    /// to describe; a listener that reconnected and may have missed some): everyone looks.
    Unknown,
}

impl Announcement {
    /// Whether `device` may read something this announces (and so should look again).
    pub(crate) fn concerns(&self, device: &Device, notes: &NotesSharing) -> bool {
        match self {
            Announcement::Unknown => true,
            Announcement::Changed(changed) => {
                changed.iter().any(|c| permission(device, c.kind, &c.scope, notes) != Access::None)
            }
        }
    }
}

/// Where stored changes are announced to waiting requests.
pub(crate) struct Announcer(broadcast::Sender<Announcement>);

impl Announcer {
    pub(crate) fn new() -> Self {
        Self(broadcast::Sender::new(ANNOUNCEMENTS_BUFFERED))
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Announcement> {
        self.0.subscribe()
    }

    pub(crate) fn announce(&self, announcement: Announcement) {
        let _ = self.0.send(announcement); // no one waiting: nothing to do
    }
}

/// One wait per device: [`Waits::enter`] ends the device's previous wait (it answers at once, as
/// at its deadline) and registers this one.
#[derive(Default)]
pub(crate) struct Waits {
    waiting: Mutex<HashMap<DeviceId, (u64, Arc<Notify>)>>,
    next: AtomicU64,
}

/// A device's registered wait; leaving (dropping it) forgets it unless a newer one replaced it.
pub(crate) struct WaitTicket<'w> {
    waits: &'w Waits,
    device: DeviceId,
    number: u64,
    superseded: Arc<Notify>,
}

impl Waits {
    pub(crate) fn enter(&self, device: &DeviceId) -> WaitTicket<'_> {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let superseded = Arc::new(Notify::new());
        let previous =
            self.waiting.lock().unwrap_or_else(|p| p.into_inner()).insert(device.clone(), (number, superseded.clone()));
        if let Some((_, earlier)) = previous {
            earlier.notify_one(); // stored if the earlier wait is not polling right now
        }
        WaitTicket { waits: self, device: device.clone(), number, superseded }
    }

    /// Devices waiting now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl WaitTicket<'_> {
    /// Completes when a newer wait of the same device replaced this one.
    pub(crate) async fn superseded(&self) {
        self.superseded.notified().await
    }
}

impl Drop for WaitTicket<'_> {
    fn drop(&mut self) {
        let mut waiting = self.waits.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.get(&self.device).is_some_and(|(n, _)| *n == self.number) {
            waiting.remove(&self.device);
        }
    }
}

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Woken<T> {
    /// A look found something for the device.
    News(T),
    Deadline,
    ShuttingDown,
    /// The same device began another wait.
    Superseded,
}

impl<T> Woken<T> {
    /// A content-free name, for logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Woken::News(_) => "news",
            Woken::Deadline => "deadline",
            Woken::ShuttingDown => "shutting down",
            Woken::Superseded => "superseded",
        }
    }
}

/// What a wait listens to, besides its deadline.
pub(crate) struct Signals<'t, R> {
    /// Subscribed before the request's own session ran.
    pub changes: broadcast::Receiver<Announcement>,
    /// Whether an announcement may concern this device.
    pub relevant: R,
    pub shutting_down: watch::Receiver<bool>,
    pub ticket: &'t WaitTicket<'t>,
}

/// Waits for news: on every announced change that is `relevant`, runs `look` (which answers
/// `Some` when the device has something to receive), until a look has news, `shutting_down`
/// turns true, the ticket is superseded, or `deadline` passes. A change announced while a look
/// runs makes the next look start at once. Returns the number of looks alongside how it ended. A
/// failed look ends the wait with its error.
pub(crate) async fn wait_for_news<T, E, R, F, Fut>(
    signals: Signals<'_, R>,
    deadline: Instant,
    look: F,
) -> Result<(Woken<T>, usize), E>
where
    R: Fn(&Announcement) -> bool,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    // The device may go away mid-wait (its connection closes, as when a nudge gives up the poll to
    // push): the server then drops this future, and with it the wait; the guard notes it.
    let given_up = GivenUp;
    let woken = wait_loop(signals, deadline, look).await;
    std::mem::forget(given_up);
    woken
}

async fn wait_loop<T, E, R, F, Fut>(
    signals: Signals<'_, R>,
    deadline: Instant,
    mut look: F,
) -> Result<(Woken<T>, usize), E>
where
    R: Fn(&Announcement) -> bool,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let Signals { mut changes, relevant, mut shutting_down, ticket } = signals;
    let timer = tokio::time::sleep_until(deadline);
    tokio::pin!(timer);
    let mut looks = 0;
    loop {
        let received = tokio::select! {
            biased;
            // (The guard `wait_for` returns is dropped at once: it must not be held across a look.)
            // A dropped sender (the relay itself going away) counts as shutting down too.
            _ = async { drop(shutting_down.wait_for(|down| *down).await) } => return Ok((Woken::ShuttingDown, looks)),
            _ = ticket.superseded() => return Ok((Woken::Superseded, looks)),
            received = changes.recv() => received,
            _ = &mut timer => return Ok((Woken::Deadline, looks)),
        };
        match received {
            Ok(announcement) if !relevant(&announcement) => continue,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return Ok((Woken::ShuttingDown, looks)),
        }
        looks += 1;
        if let Some(news) = look().await? {
            return Ok((Woken::News(news), looks));
        }
    }
}

/// Logs a wait dropped before it ended (the device gave it up); a wait that ends forgets it.
struct GivenUp;

impl Drop for GivenUp {
    fn drop(&mut self) {
        tracing::debug!("live wait dropped: the device went away");
    }
}

/// Announcements between relay instances sharing PostgreSQL travel as NOTIFY payloads (at most
/// 8000 bytes): `instance` then, per changed document, `;kind-code:school:educator,educator`
/// (`-` for no school), or `;*` when the list would not fit (an [`Announcement::Unknown`]).
/// Ids only: never content.
pub(crate) mod payload {
    use super::*;

    const MAX_PAYLOAD: usize = 7900;

    pub(crate) fn encode(instance: &str, changed: &[Changed]) -> String {
        let mut out = instance.to_string();
        for c in changed {
            let school = c.scope.school.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
            let educators: Vec<String> = c.scope.educators.iter().map(|e| e.to_string()).collect();
            out.push_str(&format!(";{}:{}:{}", c.kind.code(), school, educators.join(",")));
            if out.len() > MAX_PAYLOAD {
                return format!("{instance};*");
            }
        }
        out
    }

    /// The sending instance and what it announces; anything unreadable announces `Unknown`.
    pub(crate) fn decode(payload: &str) -> (&str, Announcement) {
        let mut parts = payload.split(';');
        let instance = parts.next().unwrap_or_default();
        let changed: Option<Vec<Changed>> = parts.map(changed).collect();
        match changed {
            Some(changed) if !changed.is_empty() => (instance, Announcement::Changed(changed.into())),
            _ => (instance, Announcement::Unknown),
        }
    }

    fn changed(part: &str) -> Option<Changed> {
        let mut fields = part.splitn(3, ':');
        let kind = DocKind::from_code(fields.next()?.parse().ok()?)?;
        let school = match fields.next()? {
            "-" => None,
            s => Some(s.parse::<SchoolId>().ok()?),
        };
        let educators = fields
            .next()?
            .split(',')
            .filter(|e| !e.is_empty())
            .map(|e| e.parse::<EducatorId>().ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Changed { kind, scope: Scope { school, educators, ..Scope::default() } })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// The one device of these tests.
    fn d() -> DeviceId {
        DeviceId::parse("00000000-0000-4000-8000-00000000000d").unwrap()
    }

    #[test]
    fn wait_ms_is_parsed_and_capped() {
        assert_eq!(requested_wait(None), Some(Duration::ZERO));
        assert_eq!(requested_wait(Some("")), Some(Duration::ZERO));
        assert_eq!(requested_wait(Some("wait_ms=0")), Some(Duration::ZERO));
        assert_eq!(requested_wait(Some("x=1&wait_ms=1500")), Some(Duration::from_millis(1500)));
        assert_eq!(requested_wait(Some("wait_ms=999999999")), Some(MAX_WAIT));
        assert_eq!(requested_wait(Some("wait_ms=soon")), None);
        assert_eq!(requested_wait(Some("wait_ms=-1")), None);
    }

    fn signals() -> (Announcer, watch::Sender<bool>, Waits) {
        (Announcer::new(), watch::Sender::new(false), Waits::default())
    }

    fn listen<'t>(
        rx: broadcast::Receiver<Announcement>,
        down: &watch::Sender<bool>,
        ticket: &'t WaitTicket<'t>,
    ) -> Signals<'t, impl Fn(&Announcement) -> bool + use<>> {
        Signals { changes: rx, relevant: |_: &Announcement| true, shutting_down: down.subscribe(), ticket }
    }

    fn bump(changes: &Announcer) {
        changes.announce(Announcement::Unknown);
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn a_change_announced_before_the_wait_is_not_lost() {
        let (changes, down, waits) = signals();
        let rx = changes.subscribe(); // as the handler does, before its session
        bump(&changes); // stored while the session ran
        let ticket = waits.enter(&d());
        let woken = wait_for_news(listen(rx, &down, &ticket), far(), || async { Ok::<_, ()>(Some(7)) }).await;
        assert_eq!(woken, Ok((Woken::News(7), 1)));
    }

    #[tokio::test]
    async fn changes_with_nothing_for_the_device_keep_it_waiting_until_one_has_news() {
        let (changes, down, waits) = signals();
        let looks = Arc::new(AtomicUsize::new(0));
        let counted = looks.clone();
        let rx = changes.subscribe();
        let waiter = tokio::spawn(async move {
            let ticket = waits.enter(&d());
            wait_for_news(listen(rx, &down, &ticket), far(), move || {
                let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok::<_, ()>((n == 3).then_some(n)) }
            })
            .await
        });
        while looks.load(Ordering::SeqCst) < 3 {
            bump(&changes);
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(waiter.await.unwrap(), Ok((Woken::News(3), 3)));
    }

    #[tokio::test]
    async fn changes_that_do_not_concern_the_device_do_not_wake_it() {
        let (changes, down, waits) = signals();
        let ticket = waits.enter(&d());
        let rx = changes.subscribe();
        let elsewhere = Changed { kind: DocKind::Family, scope: Scope::default() };
        for _ in 0..100 {
            changes.announce(Announcement::Changed(vec![elsewhere.clone()].into()));
        }
        let signals = Signals {
            changes: rx,
            relevant: |a: &Announcement| matches!(a, Announcement::Unknown),
            shutting_down: down.subscribe(),
            ticket: &ticket,
        };
        let deadline = Instant::now() + Duration::from_millis(50);
        let woken = wait_for_news(signals, deadline, || async { Ok::<Option<()>, ()>(None) }).await;
        assert_eq!(woken, Ok((Woken::Deadline, 0)), "no look for a hundred changes elsewhere");
    }

    #[tokio::test]
    async fn a_device_waits_once_a_new_wait_ends_the_old_one() {
        let (changes, down, waits) = signals();
        let waits = Arc::new(waits);
        let (first_waits, rx, first_down) = (waits.clone(), changes.subscribe(), down.subscribe());
        let first = tokio::spawn(async move {
            let ticket = first_waits.enter(&d());
            let signals =
                Signals { changes: rx, relevant: |_: &Announcement| true, shutting_down: first_down, ticket: &ticket };
            wait_for_news(signals, far(), || async { Ok::<Option<()>, ()>(None) }).await
        });
        while waits.len() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let second = waits.enter(&d());
        assert_eq!(first.await.unwrap(), Ok((Woken::Superseded, 0)));
        assert_eq!(waits.len(), 1, "the first wait left; the second stays registered");
        drop(second);
        assert_eq!(waits.len(), 0);
    }

    #[tokio::test]
    async fn nothing_new_answers_at_the_deadline() {
        let (changes, down, waits) = signals();
        let ticket = waits.enter(&d());
        let deadline = Instant::now() + Duration::from_millis(50);
        let woken = wait_for_news(listen(changes.subscribe(), &down, &ticket), deadline, || async {
            Ok::<Option<()>, ()>(None)
        })
        .await;
        assert_eq!(woken, Ok((Woken::Deadline, 0)));
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn shutting_down_answers_at_once() {
        let (changes, down, waits) = signals();
        let start = Instant::now();
        let rx = changes.subscribe();
        let down_rx = down.subscribe();
        let waiter = tokio::spawn(async move {
            let ticket = waits.enter(&d());
            let signals =
                Signals { changes: rx, relevant: |_: &Announcement| true, shutting_down: down_rx, ticket: &ticket };
            wait_for_news(signals, far(), || async { Ok::<Option<()>, ()>(None) }).await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        down.send_replace(true);
        assert_eq!(waiter.await.unwrap(), Ok((Woken::ShuttingDown, 0)));
        assert!(start.elapsed() < Duration::from_secs(30), "well before the 60 s deadline");
        // And a request that arrives while the relay is already shutting down does not wait at all.
        let waits = Waits::default();
        let ticket = waits.enter(&d());
        let woken =
            wait_for_news(listen(changes.subscribe(), &down, &ticket), far(), || async { Ok::<Option<()>, ()>(None) })
                .await;
        assert_eq!(woken, Ok((Woken::ShuttingDown, 0)));
    }

    #[tokio::test]
    async fn a_failed_look_ends_the_wait_with_its_error() {
        let (changes, down, waits) = signals();
        let rx = changes.subscribe();
        bump(&changes);
        let ticket = waits.enter(&d());
        let woken =
            wait_for_news(listen(rx, &down, &ticket), far(), || async { Err::<Option<()>, _>("storage") }).await;
        assert_eq!(woken, Err("storage"));
    }

    #[test]
    fn announcements_between_instances_round_trip_and_stay_small() {
        let scope = Scope {
            school: Some(SchoolId::new()),
            educators: vec![EducatorId::new(), EducatorId::new()],
            ..Scope::default()
        };
        let changed = vec![
            Changed { kind: DocKind::VisitNotes, scope: scope.clone() },
            Changed { kind: DocKind::PromptPack, scope: Scope::default() },
        ];
        let encoded = payload::encode("i-1", &changed);
        let (instance, back) = payload::decode(&encoded);
        assert_eq!(instance, "i-1");
        let Announcement::Changed(back) = back else { panic!("described") };
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].kind, &back[0].scope), (DocKind::VisitNotes, &scope));
        assert_eq!((back[1].kind, back[1].scope.school), (DocKind::PromptPack, None));
        let many = vec![changed[0].clone(); 500];
        let encoded = payload::encode("i-1", &many);
        assert!(encoded.len() < 8000);
        assert!(matches!(payload::decode(&encoded), ("i-1", Announcement::Unknown)));
        assert!(matches!(payload::decode("i-2;garbage"), ("i-2", Announcement::Unknown)));
        assert!(matches!(payload::decode("i-2"), ("i-2", Announcement::Unknown)));
    }
}
