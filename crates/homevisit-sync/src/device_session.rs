//! The device's session with its relay, for the FFI and the CLI alike (feature `http`): the data
//! directory and its store, enrollment (relay address + invite code -> device id + token), where
//! the credentials live, loading them, forgetting them (sign out), and the [`RelayClient`] made
//! from them.
//!
//! The relay address and the device token live only inside the encrypted store (its settings),
//! never in a plain file. The token is wiped from memory when dropped and never printed.

use std::fmt;
use std::path::Path;

use homevisit_store::{DbKey, Store, StoreError};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::client::{self, ClientError, RELAY_PEER, RelayClient};

/// The store's file in a device's data directory.
pub const STORE_FILE: &str = "homevisit.db";

// Setting names inside the store (kept from the FFI's first version, so its stores still load).
const SETTING_RELAY: &str = "relay_url";
const SETTING_TOKEN: &str = "device_token";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file in the data directory could not be created or deleted (names the file, never data).
    #[error("cannot {action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> SessionError {
    move |source| SessionError::Io { action: action.into(), source }
}

/// The bearer token the relay gave this device at enrollment. Wiped from memory on drop;
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Takes the token's own buffer (no copy is left behind in `token`).
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token itself, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// What a device needs to sync: its relay's address and its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub relay_url: String,
    pub token: DeviceToken,
}

impl Credentials {
    /// A client for the relay (refuses a plain-http address that is not loopback).
    pub fn client(&self) -> Result<RelayClient, ClientError> {
        RelayClient::new(&self.relay_url, self.token.expose())
    }
}

/// A new enrollment: the relay's id for this device, and the credentials to [`save`].
#[derive(Debug)]
pub struct Enrollment {
    pub device_id: String,
    pub credentials: Credentials,
}

/// Creates `dir` (and missing parents) readable by this user only (0700 on unix). A directory
/// that already exists is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Opens (or creates) the device's encrypted store in `data_dir`, creating the directory private.
pub fn open_store(data_dir: &Path, key: &DbKey) -> Result<Store, SessionError> {
    create_private_dir(data_dir).map_err(io("create the data directory"))?;
    Ok(Store::open(data_dir.join(STORE_FILE), key)?)
}

/// Exchanges an invite code for this device's credentials (network only: [`save`] them next).
pub async fn enroll(relay_url: &str, invite: &str) -> Result<Enrollment, ClientError> {
    let relay_url = relay_url.trim();
    let client::Enrollment { device_id, token } = client::enroll(relay_url, invite.trim()).await?;
    Ok(Enrollment {
        device_id,
        credentials: Credentials { relay_url: relay_url.to_string(), token: DeviceToken(token) },
    })
}

/// Keeps `credentials` in the store, replacing earlier ones, in one transaction. A different relay
/// holds different documents, so what the store knew about the old one's is forgotten.
pub fn save(store: &mut Store, credentials: &Credentials) -> Result<(), StoreError> {
    store.batch(|store| {
        if store.setting(SETTING_RELAY)?.is_some_and(|old| old != credentials.relay_url) {
            store.forget_peer(RELAY_PEER)?;
        }
        store.set_setting(SETTING_RELAY, Some(&credentials.relay_url))?;
        store.set_setting(SETTING_TOKEN, Some(credentials.token.expose()))
    })
}

/// The stored credentials, or `None` if this device is not enrolled.
pub fn load(store: &Store) -> Result<Option<Credentials>, StoreError> {
    let token = store.setting(SETTING_TOKEN)?.map(DeviceToken);
    match (store.setting(SETTING_RELAY)?, token) {
        (Some(relay_url), Some(token)) => Ok(Some(Credentials { relay_url, token })),
        _ => Ok(None),
    }
}

/// The relay client, if this device is enrolled.
pub fn relay_client(store: &Store) -> Result<Option<RelayClient>, SessionError> {
    match load(store)? {
        Some(credentials) => Ok(Some(credentials.client()?)),
        None => Ok(None),
    }
}

/// Signs out: forgets the credentials and what the store knew about the relay's documents, in one
/// transaction (the documents stay; enrolling again syncs them from the start).
pub fn forget(store: &mut Store) -> Result<(), StoreError> {
    store.batch(|store| {
        store.set_setting(SETTING_TOKEN, None)?;
        store.set_setting(SETTING_RELAY, None)?;
        store.forget_peer(RELAY_PEER)
    })
}

/// Deletes the store's files from `data_dir` (credentials and every document). The caller has
/// closed the store first. Files already gone are fine.
pub fn wipe(data_dir: &Path) -> Result<(), SessionError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let name = format!("{STORE_FILE}{suffix}");
        match std::fs::remove_file(data_dir.join(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(format!("delete {name}"))(e)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "hv_device_token_0123456789abcdef";

    fn credentials(relay_url: &str) -> Credentials {
        Credentials { relay_url: relay_url.into(), token: DeviceToken::new(TOKEN.into()) }
    }

    fn key() -> DbKey {
        DbKey::from_bytes([9; 32])
    }

    #[test]
    fn credentials_are_kept_in_the_store_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_store(dir.path(), &key()).unwrap();
        assert_eq!(load(&store).unwrap(), None);
        assert!(relay_client(&store).unwrap().is_none());

        save(&mut store, &credentials("http://127.0.0.1:8787")).unwrap();
        drop(store);
        let mut store = open_store(dir.path(), &key()).unwrap();
        assert_eq!(load(&store).unwrap(), Some(credentials("http://127.0.0.1:8787")));
        assert!(relay_client(&store).unwrap().is_some());

        forget(&mut store).unwrap();
        assert_eq!(load(&store).unwrap(), None);
        // Only the encrypted store holds them: nothing else was written to the directory.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with(STORE_FILE))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_plain_http_relay_is_refused_when_the_client_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_store(dir.path(), &key()).unwrap();
        save(&mut store, &credentials("http://relay.example.org")).unwrap();
        assert!(matches!(relay_client(&store), Err(SessionError::Client(ClientError::InsecureUrl))));
    }

    #[test]
    fn enrolling_refuses_plain_http_before_sending_the_invite() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = runtime.block_on(enroll("http://relay.example.org", "invite"));
        assert!(matches!(result, Err(ClientError::InsecureUrl)), "{result:?}");
    }

    #[test]
    fn another_relay_starts_sync_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_store(dir.path(), &key()).unwrap();
        let data = homevisit_fixtures::demo::data_set(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
        );
        store.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
        let doc = store.document_ids(None).unwrap()[0];
        let known = |store: &Store| store.sync_state(RELAY_PEER, &doc).unwrap().is_some();

        store.save_sync_state(RELAY_PEER, &doc, b"state").unwrap();
        save(&mut store, &credentials("https://relay.one.example")).unwrap();
        // The same relay again (a new token): what it holds is still known.
        save(&mut store, &credentials("https://relay.one.example")).unwrap();
        assert!(known(&store));
        save(&mut store, &credentials("https://relay.two.example")).unwrap();
        assert!(!known(&store));
        store.save_sync_state(RELAY_PEER, &doc, b"state").unwrap();
        forget(&mut store).unwrap();
        assert!(!known(&store));
    }

    #[test]
    fn tokens_never_print() {
        let c = credentials("https://relay.example.org");
        let printed = format!("{c:?}");
        assert!(!printed.contains(TOKEN), "{printed}");
        assert!(printed.contains("DeviceToken(<redacted>)"), "{printed}");
        let mut token = DeviceToken::new(TOKEN.into());
        token.zeroize(); // what Drop runs
        assert_eq!(token.expose(), "");
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<DeviceToken>();
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("phone").join("data");
        drop(open_store(&data, &key()).unwrap());
        for d in [dir.path().join("phone"), data.clone()] {
            assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, 0o700, "{}", d.display());
        }
        assert_eq!(std::fs::metadata(data.join(STORE_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn wiping_deletes_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_store(dir.path(), &key()).unwrap();
        save(&mut store, &credentials("https://relay.example.org")).unwrap();
        drop(store);
        wipe(dir.path()).unwrap();
        wipe(dir.path()).unwrap(); // nothing left to delete is fine
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let store = open_store(dir.path(), &key()).unwrap();
        assert_eq!(load(&store).unwrap(), None);
    }
}
