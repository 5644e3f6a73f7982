//! How many sync requests the relay works on at once, and who goes next: admission control.
//!
//! Without it, every request that arrives is worked on at once and all share the processor (and,
//! on PostgreSQL, its connections): in a morning rush each takes longer the more arrive, until
//! they pass the phones' request timeout, are sent again, and the same work is done twice. So a
//! request is worked on only while it holds one of a few permits, a device holds at most one at
//! a time, and the others wait, a bounded number of them for a bounded time. A request takes its
//! place ([`Admission::reserve`]) before its body is read, and waits for a permit only once the
//! body is in ([`Reserved::enter`]): a body that arrives slowly holds a place, never a permit
//! (the memory of bodies being read is bounded by [`crate::body_budget`]). One that finds the
//! line full, or its device with [`WAITING_PER_DEVICE`] in it already, is answered
//! `503 Service Unavailable` with `Retry-After` before its body is read, as is one that would
//! wait too long: nothing of it was done, and the phone sends it again after that
//! (`homevisit_sync::client`), so turning it away loses nothing and costs almost nothing.
//!
//! Who goes next is fair between devices, not only first come: a device that has had much of the
//! relay's time lately (more than [`HEAVY`] of work on its requests, fading with a 10-second
//! half-life) waits behind every other, and the heavy among themselves go least-worked first;
//! the rest go in order of arrival (so a phone's sync of a few small requests is not sent to the
//! back of the line at each of them). A device sending heavy batches one after another (hostile,
//! or only large) gets the relay when no one else is waiting, and otherwise waits behind the
//! phones whose syncs are small, instead of taking its turn in every round.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use homevisit_sync::DeviceId;
use tokio::sync::oneshot;

use crate::{RelayError, env_setting};

/// Requests worked on at once by the embedded relay: its one SQLite connection does the work in
/// short transactions, so more at once only share it more finely (and each take longer).
pub const EMBEDDED_RUNNING: usize = 4;

/// Requests that may be in line (their bodies being read, or waiting for a permit): beyond them a
/// request is turned away at once.
pub const QUEUED: usize = 1024;

/// Requests of one device that may be in line at once. A phone sends its sync requests one after
/// another (and live edits beside them), so two is room to spare; without this bound one device
/// opening many connections could fill the whole line and have every other phone turned away.
pub const WAITING_PER_DEVICE: usize = 2;

/// Longest a request waits for a permit: well under the phones' 60 s request timeout, so a
/// request is either worked on or turned away, never timed out after its work was done.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

/// What the relay tells a request it turned away (`Retry-After`, seconds); the phone adds up to
/// as much again at random, so the turned-away do not all come back at once.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests worked on at once.
    pub running: usize,
    /// Requests that may wait for a permit.
    pub queued: usize,
    /// Longest one waits.
    pub max_wait: Duration,
}

impl Limits {
    /// The environment's settings (`HOMEVISIT_RELAY_RUNNING_SYNCS`, `HOMEVISIT_RELAY_QUEUED_SYNCS`),
    /// else the defaults: `running` for this storage, [`QUEUED`], [`MAX_WAIT`].
    pub fn from_env(running: usize) -> Result<Self, RelayError> {
        Ok(Limits {
            running: env_setting::positive("HOMEVISIT_RELAY_RUNNING_SYNCS", running)?,
            queued: env_setting::positive("HOMEVISIT_RELAY_QUEUED_SYNCS", QUEUED)?,
            max_wait: MAX_WAIT,
        })
    }
}

/// The permits and the line for them.
pub struct Admission {
    limits: Limits,
    state: parking_lot::Mutex<State>,
}

struct State {
    free: usize,
    /// Devices holding a permit now.
    running: HashSet<DeviceId>,
    line: Vec<Waiter>,
    arrivals: u64,
    /// Each device's recent share of the relay's time (see [`Recent`]).
    recent: HashMap<DeviceId, Recent>,
    /// Places in line taken ([`Reserved`]), by device, and in all: a body being read, or waiting.
    places: HashMap<DeviceId, usize>,
    places_taken: usize,
}

impl State {
    /// Forgets waiters that gave up (timed out, or their request went).
    fn drop_gone_waiters(&mut self) {
        self.line.retain(|w| !w.admit.is_closed());
    }
}

struct Waiter {
    device: DeviceId,
    arrival: u64,
    admit: oneshot::Sender<()>,
}

/// Seconds of work, fading with [`HALF_LIFE`] since `at`.
#[derive(Clone, Copy)]
struct Recent {
    seconds: f64,
    at: Instant,
}

/// Recent work past which a device waits behind the others.
pub const HEAVY: Duration = Duration::from_millis(500);

/// While others wait or work, a heavy device's request pauses this many times the length of each
/// step it took, between its steps ([`Admitted::pace`]): at most a tenth of the processor.
pub const HEAVY_PAUSE_FACTOR: u32 = 9;

/// Longest one such pause.
const MOST_PAUSE: Duration = Duration::from_millis(250);

/// A request's first steps are never paused, whoever sent it: a phone's daily sync is a step or
/// two per request, and pausing it because the relay was slow for everyone (which makes its own
/// requests take long, and so counts as its work) would only lengthen the rush.
pub const UNPACED_STEPS: u32 = 2;

/// How fast a device's past work stops counting against it.
const HALF_LIFE: Duration = Duration::from_secs(10);

/// Devices whose recent work is remembered; past it, those whose work has faded are forgotten.
const REMEMBERED: usize = 4096;

impl Recent {
    fn now(&self, now: Instant) -> f64 {
        let halves = now.saturating_duration_since(self.at).as_secs_f64() / HALF_LIFE.as_secs_f64();
        self.seconds * 0.5f64.powf(halves)
    }
}

/// A request was turned away: the relay is at its limits.
#[derive(Debug, PartialEq, Eq)]
pub struct Overloaded;

/// Held while a request is worked on: dropping it records the time the device had and gives the
/// permit to whoever is next.
pub struct Admitted {
    admission: Arc<Admission>,
    device: DeviceId,
    since: Instant,
    /// Steps of the request done so far ([`Admitted::pace`]).
    steps: std::sync::atomic::AtomicU32,
}

impl Admitted {
    fn new(admission: &Arc<Admission>, device: &DeviceId) -> Self {
        Admitted { admission: admission.clone(), device: device.clone(), since: Instant::now(), steps: 0.into() }
    }

    /// Called between two steps (transactions) of this request, on its blocking thread, with the
    /// time the last one took: past the request's first [`UNPACED_STEPS`], if this device is heavy
    /// (its recent work, counting this request so far, past [`HEAVY`]) and another device is
    /// being worked on or waits here, or the storage is busy with others (`storage_busy`, asked
    /// only then: on PostgreSQL, other instances' requests share the database and the machine,
    /// and this instance's line does not see them), pauses [`HEAVY_PAUSE_FACTOR`] times that (at
    /// most [`MOST_PAUSE`]). A device sending maximal batches one after another (hostile, or only
    /// large) then takes at most about a tenth of the processor, and of the storage, from the
    /// phones beside it; alone, it is not slowed.
    pub fn pace(&self, step: Duration, storage_busy: impl FnOnce() -> bool) {
        if self.steps.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < UNPACED_STEPS {
            return;
        }
        let (heavy, others_here) = {
            let now = Instant::now();
            let state = self.admission.state.lock();
            let others = state.running.iter().any(|d| *d != self.device)
                || state.line.iter().any(|w| w.device != self.device && !w.admit.is_closed());
            let work = state.recent.get(&self.device).map_or(0.0, |r| r.now(now))
                + now.saturating_duration_since(self.since).as_secs_f64();
            (work > HEAVY.as_secs_f64(), others)
        };
        // (The storage is asked outside the lock: it may be a query.)
        if heavy && (others_here || storage_busy()) {
            std::thread::sleep((step * HEAVY_PAUSE_FACTOR).min(MOST_PAUSE));
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut state = self.admission.state.lock();
        let worked = now.saturating_duration_since(self.since).as_secs_f64();
        let before = state.recent.get(&self.device).map_or(0.0, |r| r.now(now));
        state.recent.insert(self.device.clone(), Recent { seconds: before + worked, at: now });
        if state.recent.len() > REMEMBERED {
            state.recent.retain(|_, r| r.now(now) > 0.001);
        }
        state.running.remove(&self.device);
        state.free += 1;
        admit_next(&mut state, now);
    }
}

/// Gives free permits to the best waiting devices (not running, least recent work, earliest).
fn admit_next(state: &mut State, now: Instant) {
    state.drop_gone_waiters();
    while state.free > 0 {
        let best = state
            .line
            .iter()
            .enumerate()
            .filter(|(_, w)| !state.running.contains(&w.device))
            .min_by(|(_, a), (_, b)| {
                // Light devices first, in order of arrival; then the heavy, least worked first.
                let heavy = |w: &Waiter| {
                    let work = state.recent.get(&w.device).map_or(0.0, |r| r.now(now));
                    if work > HEAVY.as_secs_f64() { work } else { 0.0 }
                };
                heavy(a).total_cmp(&heavy(b)).then(a.arrival.cmp(&b.arrival))
            })
            .map(|(i, _)| i);
        let Some(i) = best else { return };
        let waiter = state.line.swap_remove(i);
        if waiter.admit.send(()).is_ok() {
            state.free -= 1;
            state.running.insert(waiter.device);
        }
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Admission {
            limits,
            state: parking_lot::Mutex::new(State {
                free: limits.running,
                running: HashSet::new(),
                line: Vec::new(),
                arrivals: 0,
                recent: HashMap::new(),
                places: HashMap::new(),
                places_taken: 0,
            }),
        }
    }

    /// A place in line for a request of `device`, taken before its body is read: refused if the
    /// line is full or the device already has [`WAITING_PER_DEVICE`] places.
    pub fn reserve(self: &Arc<Self>, device: &DeviceId) -> Result<Reserved, Overloaded> {
        let mut state = self.state.lock();
        let mine = state.places.get(device).copied().unwrap_or(0);
        if state.places_taken >= self.limits.queued || mine >= WAITING_PER_DEVICE {
            return Err(Overloaded);
        }
        state.places.insert(device.clone(), mine + 1);
        state.places_taken += 1;
        Ok(Reserved { admission: self.clone(), device: device.clone() })
    }

    /// A permit for `device`, its place taken and given up at once ([`Admission::reserve`] then
    /// [`Reserved::enter`]; the relay itself reads the body in between).
    #[cfg(test)]
    pub async fn enter(self: &Arc<Self>, device: &DeviceId) -> Result<Admitted, Overloaded> {
        self.reserve(device)?.enter().await
    }
}

/// A request's place in line ([`Admission::reserve`]): given up when dropped, or once
/// [`Reserved::enter`] has a permit for it (or gives up).
pub struct Reserved {
    admission: Arc<Admission>,
    device: DeviceId,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        let mut state = self.admission.state.lock();
        match state.places.get_mut(&self.device) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                state.places.remove(&self.device);
            }
        }
        state.places_taken = state.places_taken.saturating_sub(1);
    }
}

impl Reserved {
    /// A permit for this request: at once if one is free, no one is waiting and the device holds
    /// none; else when it is this device's turn, within [`Limits::max_wait`].
    pub async fn enter(self) -> Result<Admitted, Overloaded> {
        let (admission, device) = (&self.admission, &self.device);
        let admitted = {
            let mut state = admission.state.lock();
            if state.free > 0 && state.line.is_empty() && !state.running.contains(device) {
                state.free -= 1;
                state.running.insert(device.clone());
                None
            } else {
                state.drop_gone_waiters();
                let (admit, admitted) = oneshot::channel();
                state.arrivals += 1;
                let arrival = state.arrivals;
                state.line.push(Waiter { device: device.clone(), arrival, admit });
                // A permit may be free for this device now (another device's line was blocked).
                admit_next(&mut state, Instant::now());
                Some(admitted)
            }
        };
        if let Some(admitted) = admitted {
            let mut on_its_way = PermitOnItsWay { admitted, admission: admission.clone(), device: device.clone() };
            match tokio::time::timeout(admission.limits.max_wait, &mut on_its_way.admitted).await {
                // Taken: nothing is left to give back as `on_its_way` drops.
                Ok(Ok(())) => {}
                // Timed out (a permit sent in the meantime is given back as `on_its_way` drops).
                _ => return Err(Overloaded),
            }
        }
        Ok(Admitted::new(admission, device))
    }
}

/// A waiting request's end of the channel its permit comes by. Dropped before the permit is
/// taken (timed out, or the request itself dropped: its client went away, possibly in the moment
/// after the permit was sent), it gives back a permit sent meanwhile; else that permit, and the
/// device's place among the running, were lost for good. (Once taken, the channel is empty.)
struct PermitOnItsWay {
    admitted: oneshot::Receiver<()>,
    admission: Arc<Admission>,
    device: DeviceId,
}

impl Drop for PermitOnItsWay {
    fn drop(&mut self) {
        self.admitted.close();
        if self.admitted.try_recv().is_ok() {
            drop(Admitted::new(&self.admission, &self.device));
        }
    }
}

/// Where admission stands at one moment (read under one lock: the three add up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// Requests worked on (holding a permit).
    pub running: usize,
    /// Requests waiting for a permit.
    pub waiting: usize,
    /// Requests in line whose bodies are still arriving: their places taken, not yet waiting for
    /// a permit (a slow uplink, or a device trickling its bytes).
    pub reading: usize,
}

impl Load {
    /// At most one request is worked on (the asker's) and none waits for a permit.
    pub fn alone(&self) -> bool {
        self.running <= 1 && self.waiting == 0
    }
}

impl Admission {
    /// Requests waiting for a permit now.
    pub fn waiting(&self) -> usize {
        self.load().waiting
    }

    /// Requests worked on, waiting and being read now.
    pub fn load(&self) -> Load {
        let mut state = self.state.lock();
        state.drop_gone_waiters();
        Load {
            running: self.limits.running - state.free,
            waiting: state.line.len(),
            reading: state.places_taken.saturating_sub(state.line.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(running: usize, queued: usize, wait_ms: u64) -> Arc<Admission> {
        Arc::new(Admission::new(Limits { running, queued, max_wait: Duration::from_millis(wait_ms) }))
    }

    fn device(n: u8) -> DeviceId {
        DeviceId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    /// Starts `who` waiting for a permit, in this order; each is in line before the next comes.
    async fn line_up(a: &Arc<Admission>, who: &[u8]) -> Vec<tokio::task::JoinHandle<Option<Admitted>>> {
        let mut waiting = Vec::new();
        for &n in who {
            let before = a.waiting();
            let a2 = a.clone();
            waiting.push(tokio::spawn(async move { a2.enter(&device(n)).await.ok() }));
            while a.waiting() == before {
                tokio::task::yield_now().await;
            }
        }
        waiting
    }

    #[tokio::test]
    async fn permits_go_up_to_the_limit_then_in_order_of_arrival_among_equals() {
        let a = admission(2, 10, 5_000);
        let first = a.enter(&device(1)).await.unwrap();
        let _second = a.enter(&device(2)).await.unwrap();
        let waiting = line_up(&a, &[3, 4, 5]).await;
        assert_eq!(a.waiting(), 3);
        drop(first);
        let third = waiting.into_iter().next().unwrap().await.unwrap().expect("device 3 first");
        assert_eq!(third.device, device(3));
        assert_eq!(a.waiting(), 2);
    }

    #[tokio::test]
    async fn a_device_with_much_recent_work_waits_behind_the_others() {
        let a = admission(1, 10, 5_000);
        // Device 1 has just had the relay for a while.
        let heavy = a.enter(&device(1)).await.unwrap();
        tokio::time::sleep(HEAVY + Duration::from_millis(50)).await;
        drop(heavy);
        let holder = a.enter(&device(9)).await.unwrap();
        let mut waiting = line_up(&a, &[1, 2]).await; // 1 came first
        drop(holder);
        let light = waiting.remove(1).await.unwrap().expect("device 2 goes first");
        assert_eq!(light.device, device(2));
        drop(light);
        let then = waiting.remove(0).await.unwrap().expect("then device 1");
        assert_eq!(then.device, device(1));
    }

    #[tokio::test]
    async fn a_device_holds_one_permit_at_a_time() {
        let a = admission(2, 10, 5_000);
        let first = a.enter(&device(1)).await.unwrap();
        let mut again = line_up(&a, &[1]).await;
        assert_eq!(a.waiting(), 1, "a free permit, but the device already holds one");
        let other = a.enter(&device(2)).await.unwrap();
        drop(first);
        let second = again.remove(0).await.unwrap().expect("its next request, once the first is done");
        assert_eq!(second.device, device(1));
        drop(other);
    }

    #[tokio::test]
    async fn a_full_line_turns_a_request_away_at_once() {
        let a = admission(1, 1, 5_000);
        let _held = a.enter(&device(1)).await.unwrap();
        let waiting = line_up(&a, &[2]).await;
        let started = std::time::Instant::now();
        assert_eq!(a.enter(&device(3)).await.err(), Some(Overloaded));
        assert!(started.elapsed() < Duration::from_secs(1), "turned away without waiting");
        for w in waiting {
            w.abort();
            let _ = w.await;
        }
        assert_eq!(a.waiting(), 0, "a request dropped while waiting leaves the line");
    }

    #[tokio::test]
    async fn a_place_is_taken_before_the_body_and_no_permit_is_held_while_it_is_read() {
        let a = admission(1, 3, 5_000);
        // Two requests of one device whose bodies are still arriving: they hold places, no permit.
        let reading = [a.reserve(&device(1)).unwrap(), a.reserve(&device(1)).unwrap()];
        assert!(a.reserve(&device(1)).is_err(), "a third place for the same device");
        assert_eq!(a.load(), Load { running: 0, waiting: 0, reading: 2 }, "two bodies being read, nothing else");
        let third = a.reserve(&device(3)).unwrap();
        assert!(a.reserve(&device(4)).is_err(), "the line (3 places) is full");
        drop(third);
        // Another device's request is worked on at once, beside the slow bodies.
        let other = tokio::time::timeout(Duration::from_millis(500), a.enter(&device(2))).await;
        assert!(matches!(other, Ok(Ok(_))), "a permit while the slow bodies are read");
        drop(other);
        // A place given up (the body never came) is free again; one that enters takes a permit.
        let [first, second] = reading;
        drop(first);
        let admitted = second.enter().await.unwrap();
        assert_eq!(a.load(), Load { running: 1, waiting: 0, reading: 0 });
        assert!(a.reserve(&device(3)).is_ok() && a.reserve(&device(1)).is_ok(), "places given back");
        drop(admitted);
    }

    #[tokio::test]
    async fn a_request_is_alone_while_no_other_is_worked_on_or_waits() {
        let a = admission(2, 10, 5_000);
        let first = a.enter(&device(1)).await.unwrap();
        let _slow_body = a.reserve(&device(5)).unwrap();
        assert!(a.load().alone(), "the asker alone (a body still arriving does not count)");
        let second = a.enter(&device(2)).await.unwrap();
        assert!(!a.load().alone(), "another request worked on beside it");
        let mut waiting = line_up(&a, &[3]).await;
        drop(second);
        assert!(!a.load().alone(), "one waited: it is worked on now");
        let third = waiting.pop().unwrap().await.unwrap().expect("admitted");
        drop(third);
        assert!(a.load().alone(), "the others gone: {:?}", a.load());
        drop(first);
    }

    #[tokio::test]
    async fn a_request_gone_while_its_permit_was_on_its_way_gives_it_back() {
        // A request waiting in line whose client goes away (its future dropped) in the moment
        // between being given a permit and taking it: the permit is not lost.
        let a = admission(1, 10, 5_000);
        let first = a.enter(&device(1)).await.unwrap();
        let two = device(2);
        let mut second = Box::pin(a.enter(&two));
        assert!(tokio::time::timeout(Duration::from_millis(20), &mut second).await.is_err(), "waits in line");
        assert_eq!(a.load().waiting, 1);
        drop(first); // the permit goes to the second, which is never polled again
        assert_eq!(a.load(), Load { running: 1, waiting: 0, reading: 1 });
        drop(second);
        assert_eq!(a.load(), Load { running: 0, waiting: 0, reading: 0 }, "given back");
        let third = tokio::time::timeout(Duration::from_millis(500), a.enter(&device(2))).await;
        assert!(matches!(third, Ok(Ok(_))), "the device (and the permit) free again");
    }

    #[tokio::test]
    async fn one_device_cannot_hold_more_than_its_share_of_the_line() {
        let a = admission(1, 100, 5_000);
        let _held = a.enter(&device(9)).await.unwrap();
        let waiting = line_up(&a, &[1, 1]).await;
        let started = std::time::Instant::now();
        assert_eq!(a.enter(&device(1)).await.err(), Some(Overloaded), "a third request of the same device");
        assert!(started.elapsed() < Duration::from_secs(1), "turned away without waiting");
        let other = line_up(&a, &[2]).await;
        assert_eq!(a.waiting(), WAITING_PER_DEVICE + 1, "another device still finds a place");
        for w in waiting.into_iter().chain(other) {
            w.abort();
            let _ = w.await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_heavy_device_pauses_between_steps_only_while_others_are_served() {
        let a = admission(4, 10, 5_000);
        let step = Duration::from_millis(20);
        let paused_if = |admitted: &Admitted, storage_busy: bool| {
            let started = std::time::Instant::now();
            admitted.pace(step, || storage_busy);
            started.elapsed()
        };
        let paused = |admitted: &Admitted| paused_if(admitted, false);
        let first = a.enter(&device(1)).await.unwrap();
        for _ in 0..UNPACED_STEPS {
            first.pace(step, || true);
        }
        assert!(paused_if(&first, true) < step, "not heavy yet, the storage busy: no pause");
        tokio::time::sleep(HEAVY + Duration::from_millis(50)).await;
        assert!(paused(&first) < step, "heavy, but alone: no pause");
        assert!(
            paused_if(&first, true) >= step * HEAVY_PAUSE_FACTOR,
            "heavy, alone here, but the storage busy with others (another instance's): paused"
        );
        drop(first);
        // The device's next request is heavy from the start, but its first steps are not paused.
        let heavy = a.enter(&device(1)).await.unwrap();
        let other = a.enter(&device(2)).await.unwrap();
        for _ in 0..UNPACED_STEPS {
            assert!(paused_if(&heavy, true) < step, "a request's first steps: no pause");
        }
        assert!(paused(&heavy) >= step * HEAVY_PAUSE_FACTOR, "heavy beside another device: paused");
        for _ in 0..=UNPACED_STEPS {
            assert!(paused_if(&other, true) < step, "the light device is never paused");
        }
        drop(other);
    }

    #[tokio::test]
    async fn a_request_waits_no_longer_than_the_limit_and_the_permit_is_not_lost() {
        let a = admission(1, 10, 50);
        let held = a.enter(&device(1)).await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(a.enter(&device(2)).await.err(), Some(Overloaded));
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(a.waiting(), 0);
        drop(held);
        assert!(a.enter(&device(3)).await.is_ok(), "the permit came back");
    }
}
