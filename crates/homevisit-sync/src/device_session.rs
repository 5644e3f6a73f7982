//! The device's session with its relay, for the FFI and the CLI alike (feature `http`): every piece
//! of the app's session logic that is not "convert types and call". One job per module:
//!
//! - `files`: the data directory (created private), the store in it, and the wipe (the store file
//!   and SQLite's `-wal`, `-shm` and `-journal` beside it).
//! - `credentials`: the relay address and device token, and who the relay said the device is
//!   (role, school, educator), kept only in the encrypted store's settings; loading them,
//!   forgetting them (sign out), the relay client made from them.
//! - `enrollment`: relay address + invite code -> device id + credentials.
//! - `shared`: the store lock shared by the app's calls and background sync, and the helper that
//!   runs a store call on the blocking pool (a panic in it is an error, not an unwind).
//! - `exit_hold`: shared stores held at process exit, so SQLCipher's teardown finds none in use.
//! - `background`: the sync agent's start/restart/stop lifecycle.
//! - `status`: how the last sync ended, for a status line.
//! - `sync`: one sync now (the app's "sync now", the CLI's `sync`).
//! - `peer`: one phone-to-phone exchange about one visit (`PeerSync` through the shared store).
//! - `device`: an open device, all of the above as the app uses them; the remote wipe (a sync that
//!   hears the relay revoked the device stops background sync and deletes the store).
//! - `error`: the internal error, rich, with a stable code per failure for logs.
//!
//! The relay address and the device token never go to a plain file; the token is wiped from
//! memory when dropped and never printed.

mod background;
mod credentials;
mod device;
mod enrollment;
mod error;
mod exit_hold;
mod files;
mod peer;
mod shared;
mod status;
mod sync;

pub use background::Background;
pub use credentials::{
    Credentials, DeviceToken, forget, identity, load, relay_client, require_client, save, save_enrolled,
};
pub use device::{Device, DeviceStatus, Pending};
pub use enrollment::{Enrollment, enroll};
pub use error::{SessionError, client_code, store_code};
pub use files::{STORE_FILE, STORE_FILE_SUFFIXES, create_private_dir, open_store, wipe};
pub use peer::{PeerExchange, PeerOutcome};
pub use shared::{SharedStore, blocking, lock};
pub use status::{LastSync, SyncFailure};
pub use sync::{Quiet, SyncOutcome, sync_once};

#[cfg(test)]
mod tests;
