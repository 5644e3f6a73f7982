//! Where the CLI gets the database key. A phone keeps it in its keystore; the CLI, which runs on a
//! laptop or server for demos and admin work, reads it from `HOMEVISIT_DB_KEY` (64 hex characters)
//! or from a key file (mode 0600, in a directory only this user can read) beside the data.
//! Every hex copy of the key read or written here is wiped when dropped.

use std::io::Write;
use std::path::Path;

use homevisit_store::DbKey;
use homevisit_sync::device_session::create_private_dir;
use zeroize::Zeroizing;

pub fn read(key_file: &Path) -> Result<DbKey, String> {
    if let Ok(hex) = std::env::var("HOMEVISIT_DB_KEY").map(Zeroizing::new) {
        return DbKey::from_hex(&hex).ok_or_else(|| "HOMEVISIT_DB_KEY must be 64 hex characters".to_string());
    }
    let text = std::fs::read_to_string(key_file)
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot read the key file {}: {e} (run `homevisit init` first)", key_file.display()))?;
    DbKey::from_hex(&text).ok_or_else(|| format!("the key file {} does not hold 64 hex characters", key_file.display()))
}

/// Reads the key, or makes a new random one (file mode 0600) if there is none yet.
pub fn read_or_create(key_file: &Path) -> Result<DbKey, String> {
    if std::env::var("HOMEVISIT_DB_KEY").is_ok() || key_file.exists() {
        return read(key_file);
    }
    let key = DbKey::generate().map_err(|e| format!("no random key: {e}"))?;
    if let Some(dir) = key_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(key_file).map_err(|e| format!("cannot create {}: {e}", key_file.display()))?;
    let mut line = Zeroizing::new(String::with_capacity(65));
    line.push_str(&key.to_hex());
    line.push('\n');
    file.write_all(line.as_bytes()).map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
    file.sync_all().map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
    Ok(key)
}
