//! `<data>/relay.json`: where CLI versions before the device-session module kept the relay address
//! and the device token, in plain text. On first use it is moved into the encrypted store and
//! deleted; nothing writes it any more.

use std::path::Path;

use homevisit_store::Store;
use homevisit_sync::device_session::{self, Credentials, DeviceToken};
use serde::Deserialize;
use zeroize::Zeroizing;

const FILE: &str = "relay.json";

#[derive(Deserialize)]
struct Legacy {
    relay: String,
    token: String,
}

/// Moves an old `relay.json` into `store` and deletes it; `Ok(false)` when there is none. Only an
/// enrollment by an older CLI writes the file, so it is newer than what the store holds.
pub fn migrate(data: &Path, store: &mut Store) -> Result<bool, String> {
    let path = data.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Zeroizing::new(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let Legacy { relay, token } = serde_json::from_str(&text)
        .map_err(|_| format!("{} is damaged: delete it and enroll again", path.display()))?;
    let credentials = Credentials { relay_url: relay, token: DeviceToken::new(token) };
    device_session::save(store, &credentials).map_err(|e| e.to_string())?;
    std::fs::remove_file(&path).map_err(|e| format!("cannot delete {} (now in the store): {e}", path.display()))?;
    Ok(true)
}
