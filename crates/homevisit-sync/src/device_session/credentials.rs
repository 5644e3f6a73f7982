//! Where a device's relay credentials live: only inside the encrypted store (its settings), never
//! in a plain file. Saving, loading, forgetting them (sign out), and the relay client made from
//! them. The token is wiped from memory when dropped and never printed.

use std::fmt;

use homevisit_store::{Store, StoreError};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::SessionError;
use crate::client::{ClientError, RELAY_PEER, RelayClient};
use crate::identity::Identity;

// Setting names inside the store (kept from the FFI's first version, so its stores still load).
const SETTING_RELAY: &str = "relay_url";
const SETTING_TOKEN: &str = "device_token";
// Who the device is, as the relay said at enrollment (absent: enrolled with an older relay).
const SETTING_ROLE: &str = "device_role";
const SETTING_SCHOOL: &str = "device_school";
const SETTING_EDUCATOR: &str = "device_educator";

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

/// Keeps `credentials` in the store, replacing earlier ones (and forgetting who an earlier
/// enrollment said the device was), in one transaction. A different relay holds different
/// documents, so what the store knew about the old one's is forgotten.
pub fn save(store: &mut Store, credentials: &Credentials) -> Result<(), StoreError> {
    save_enrolled(store, credentials, None)
}

/// [`save`], with who the relay said the device is (`None`: it did not say), in the same
/// transaction.
pub fn save_enrolled(
    store: &mut Store,
    credentials: &Credentials,
    identity: Option<&Identity>,
) -> Result<(), StoreError> {
    store.batch(|store| {
        if store.setting(SETTING_RELAY)?.is_some_and(|old| old != credentials.relay_url) {
            store.forget_peer(RELAY_PEER)?;
        }
        store.set_setting(SETTING_RELAY, Some(&credentials.relay_url))?;
        store.set_setting(SETTING_TOKEN, Some(credentials.token.expose()))?;
        set_identity(store, identity)
    })
}

fn set_identity(store: &mut Store, identity: Option<&Identity>) -> Result<(), StoreError> {
    let school = identity.map(|i| i.school_id.to_string());
    let educator = identity.and_then(|i| i.educator_id).map(|e| e.to_string());
    store.set_setting(SETTING_ROLE, identity.map(|i| i.role.as_str()))?;
    store.set_setting(SETTING_SCHOOL, school.as_deref())?;
    store.set_setting(SETTING_EDUCATOR, educator.as_deref())?;
    // The next sync says again what this enrollment's school shares.
    crate::identity::save_school_shares_notes(store, None)
}

/// Who the relay said this device is at enrollment; `None` if not enrolled, or enrolled with a
/// relay that did not say.
pub fn identity(store: &Store) -> Result<Option<Identity>, StoreError> {
    let (role, school) = (store.setting(SETTING_ROLE)?, store.setting(SETTING_SCHOOL)?);
    let educator = store.setting(SETTING_EDUCATOR)?;
    Ok(Identity::from_parts(role.as_deref(), school.as_deref(), educator.as_deref()))
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

/// The relay client; [`SessionError::NotEnrolled`] if this device has no credentials.
pub fn require_client(store: &Store) -> Result<RelayClient, SessionError> {
    relay_client(store)?.ok_or(SessionError::NotEnrolled)
}

/// Signs out: forgets the credentials and what the store knew about the relay's documents, in one
/// transaction (the documents stay; enrolling again syncs them from the start).
pub fn forget(store: &mut Store) -> Result<(), StoreError> {
    store.batch(|store| {
        store.set_setting(SETTING_TOKEN, None)?;
        store.set_setting(SETTING_RELAY, None)?;
        set_identity(store, None)?;
        store.forget_peer(RELAY_PEER)
    })
}
