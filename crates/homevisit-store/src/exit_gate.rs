//! Keeps SQLCipher safe while the process exits.
//!
//! SQLCipher frees its heap, mutexes and crypto provider from an exit handler. A thread still
//! opening or closing a connection at that moment (an app's background sync being dropped as a
//! script ends, say) then touches freed memory and the process dies with SIGSEGV instead of
//! exiting. This gate runs first: it waits (briefly) for opens and closes in progress, and after
//! it every open fails and every close leaves the file as a crash would, which SQLite recovers.
//! Work on an open connection is not gated here: a layer that shares stores between threads holds
//! their locks at exit from a hook given to [`before_exit`].

use std::os::raw::c_int;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The longest the exit handler waits for opens and closes already under way.
const EXIT_WAIT: Duration = Duration::from_secs(2);

struct State {
    exiting: bool,
    in_progress: usize,
}

static STATE: Mutex<State> = Mutex::new(State { exiting: false, in_progress: 0 });
static DONE: Condvar = Condvar::new();
static HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An open or close under way; the exit handler waits for it.
pub(crate) struct Passage(());

impl Drop for Passage {
    fn drop(&mut self) {
        state().in_progress -= 1;
        DONE.notify_all();
    }
}

/// `None` once the process is exiting.
pub(crate) fn enter() -> Option<Passage> {
    let mut s = state();
    if s.exiting {
        return None;
    }
    s.in_progress += 1;
    Some(Passage(()))
}

/// Closes the gate: called by the C runtime at exit, before SQLCipher's own exit handler.
fn close_for_exit() {
    let mut s = state();
    s.exiting = true;
    let deadline = Instant::now() + EXIT_WAIT;
    while s.in_progress > 0 {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
        s = DONE.wait_timeout(s, left).unwrap_or_else(PoisonError::into_inner).0;
    }
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> c_int;
}

/// Runs `hook` at process exit, before the gate closes and before SQLCipher is torn down: for
/// example to wait for, and then hold, the locks of stores that background threads use.
pub fn before_exit(hook: fn()) {
    HOOKS.lock().unwrap_or_else(PoisonError::into_inner).push(hook);
}

extern "C" fn on_exit() {
    let hooks = HOOKS.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for hook in hooks {
        // An exit handler must not unwind into C.
        let _ = std::panic::catch_unwind(hook);
    }
    close_for_exit();
}

/// Registers [`close_for_exit`] with the C runtime. Exit handlers run in reverse order of
/// registration, so this must come after SQLCipher's (registered during `sqlite3_initialize`).
pub(crate) fn install() {
    // SAFETY: atexit is the C library's; `on_exit` is a plain function that never unwinds.
    unsafe {
        atexit(on_exit);
    }
}
