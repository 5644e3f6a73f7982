//! A script or app process may exit while background sync is working on a shared store. At exit
//! this waits (briefly) for each shared store's lock and keeps it, so no thread is inside
//! SQLCipher when SQLCipher's exit handler frees its state; a sync cut off this way resumes at the
//! next launch. (`homevisit_store::exit_gate` guards opens and closes; this, the work on an open
//! connection, which only the layer that shares the store can see.)

use std::sync::{Arc, Mutex, PoisonError, TryLockError, Weak};
use std::time::{Duration, Instant};

use homevisit_store::Store;

/// The longest exit waits for a store operation under way (a sync applies a batch in well under this).
const EXIT_WAIT: Duration = Duration::from_secs(2);

static OPEN: Mutex<Vec<Weak<Mutex<Store>>>> = Mutex::new(Vec::new());

/// Remembers `store` until it is dropped, so exit can wait for it.
pub(super) fn track(store: &Arc<Mutex<Store>>) {
    static HOOKED: std::sync::Once = std::sync::Once::new();
    HOOKED.call_once(|| homevisit_store::exit_gate::before_exit(hold_open_stores));
    let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    open.retain(|s| s.strong_count() > 0);
    open.push(Arc::downgrade(store));
}

fn hold_open_stores() {
    let deadline = Instant::now() + EXIT_WAIT;
    let open = std::mem::take(&mut *OPEN.lock().unwrap_or_else(PoisonError::into_inner));
    for store in open.iter().filter_map(Weak::upgrade) {
        loop {
            match store.try_lock() {
                Ok(guard) => std::mem::forget(guard),
                Err(TryLockError::Poisoned(p)) => std::mem::forget(p.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                Err(TryLockError::WouldBlock) => {}
            }
            break;
        }
        // Never dropped: closing now would race the teardown this guards against.
        std::mem::forget(store);
    }
}
