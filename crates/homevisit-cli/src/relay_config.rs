//! Which relay this device syncs with, and its device token. A phone keeps the token in its
//! keystore; the CLI keeps both in `<data>/relay.json` (mode 0600).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct RelayConfig {
    pub relay: String,
    pub token: String,
}

pub fn save(data: &Path, config: &RelayConfig) -> Result<(), String> {
    let path = data.join("relay.json");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let json = serde_json::to_string_pretty(config).expect("config serializes");
    file.write_all(json.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn load(data: &Path) -> Result<RelayConfig, String> {
    let path = data.join("relay.json");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        "this device is not enrolled with a relay: run `homevisit enroll --relay URL --invite CODE`".to_string()
    })?;
    serde_json::from_str(&text).map_err(|_| format!("{} is damaged; enroll again", path.display()))
}
