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
//! shut down, or for the deadline. Each change makes it look again (an empty-batch session for the
//! device, authenticated again); the first look with news is the answer. A shutting-down relay and
//! the deadline answer the empty batch at once, so a graceful shutdown is never held up by waiting
//! devices; a device that goes away (its connection closes) drops its wait.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The longest a request may wait (a longer `wait_ms` is cut to this): under the 30 s idle
/// timeouts common in the proxies and load balancers a relay sits behind.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(25);

/// How long a live request over its device's rate limit may wait for its turn instead of being
/// refused (429).
pub(crate) const MAX_TURN_WAIT: Duration = Duration::from_millis(250);

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

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Woken<T> {
    /// A look found something for the device.
    News(T),
    Deadline,
    ShuttingDown,
}

impl<T> Woken<T> {
    /// A content-free name, for logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Woken::News(_) => "news",
            Woken::Deadline => "deadline",
            Woken::ShuttingDown => "shutting down",
        }
    }
}

/// Waits for news: on every change announced through `changes`, runs `look` (which answers
/// `Some` when the device has something to receive), until a look has news, `shutting_down`
/// turns true, or `deadline` passes. `changes` must have been subscribed before the request's own
/// session ran; a change announced while a look runs makes the next look start at once. Returns
/// the number of looks alongside how it ended. A failed look ends the wait with its error.
pub(crate) async fn wait_for_news<T, E, F, Fut>(
    changes: watch::Receiver<u64>,
    shutting_down: watch::Receiver<bool>,
    deadline: Instant,
    look: F,
) -> Result<(Woken<T>, usize), E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    // The device may go away mid-wait (its connection closes, as when a nudge gives up the poll to
    // push): the server then drops this future, and with it the wait; the guard notes it.
    let given_up = GivenUp;
    let woken = wait_loop(changes, shutting_down, deadline, look).await;
    std::mem::forget(given_up);
    woken
}

async fn wait_loop<T, E, F, Fut>(
    mut changes: watch::Receiver<u64>,
    mut shutting_down: watch::Receiver<bool>,
    deadline: Instant,
    mut look: F,
) -> Result<(Woken<T>, usize), E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let timer = tokio::time::sleep_until(deadline);
    tokio::pin!(timer);
    let mut looks = 0;
    loop {
        let changed = tokio::select! {
            biased;
            // (The guard `wait_for` returns is dropped at once: it must not be held across a look.)
            // A dropped sender (the relay itself going away) counts as shutting down too.
            _ = async { drop(shutting_down.wait_for(|down| *down).await) } => return Ok((Woken::ShuttingDown, looks)),
            changed = changes.changed() => changed,
            _ = &mut timer => return Ok((Woken::Deadline, looks)),
        };
        if changed.is_err() {
            return Ok((Woken::ShuttingDown, looks));
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

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

    fn signals() -> (watch::Sender<u64>, watch::Sender<bool>) {
        (watch::Sender::new(0), watch::Sender::new(false))
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn a_change_announced_before_the_wait_is_not_lost() {
        let (changes, down) = signals();
        let rx = changes.subscribe(); // as the handler does, before its session
        changes.send_modify(|n| *n += 1); // stored while the session ran
        let woken = wait_for_news(rx, down.subscribe(), far(), || async { Ok::<_, ()>(Some(7)) }).await;
        assert_eq!(woken, Ok((Woken::News(7), 1)));
    }

    #[tokio::test]
    async fn changes_with_nothing_for_the_device_keep_it_waiting_until_one_has_news() {
        let (changes, down) = signals();
        let looks = Arc::new(AtomicUsize::new(0));
        let counted = looks.clone();
        let waiter = tokio::spawn(wait_for_news(changes.subscribe(), down.subscribe(), far(), move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok::<_, ()>((n == 3).then_some(n)) }
        }));
        while looks.load(Ordering::SeqCst) < 3 {
            changes.send_modify(|n| *n += 1);
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(waiter.await.unwrap(), Ok((Woken::News(3), 3)));
    }

    #[tokio::test]
    async fn nothing_new_answers_at_the_deadline() {
        let (changes, down) = signals();
        let deadline = Instant::now() + Duration::from_millis(50);
        let woken =
            wait_for_news(changes.subscribe(), down.subscribe(), deadline, || async { Ok::<Option<()>, ()>(None) })
                .await;
        assert_eq!(woken, Ok((Woken::Deadline, 0)));
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn shutting_down_answers_at_once() {
        let (changes, down) = signals();
        let start = Instant::now();
        let waiter = tokio::spawn(wait_for_news(changes.subscribe(), down.subscribe(), far(), || async {
            Ok::<Option<()>, ()>(None)
        }));
        tokio::time::sleep(Duration::from_millis(10)).await;
        down.send_replace(true);
        assert_eq!(waiter.await.unwrap(), Ok((Woken::ShuttingDown, 0)));
        assert!(start.elapsed() < Duration::from_secs(30), "well before the 60 s deadline");
        // And a request that arrives while the relay is already shutting down does not wait at all.
        let woken =
            wait_for_news(changes.subscribe(), down.subscribe(), far(), || async { Ok::<Option<()>, ()>(None) }).await;
        assert_eq!(woken, Ok((Woken::ShuttingDown, 0)));
    }

    #[tokio::test]
    async fn a_failed_look_ends_the_wait_with_its_error() {
        let (changes, down) = signals();
        let rx = changes.subscribe();
        changes.send_modify(|n| *n += 1);
        let woken = wait_for_news(rx, down.subscribe(), far(), || async { Err::<Option<()>, _>("storage") }).await;
        assert_eq!(woken, Err("storage"));
    }
}
