//! Where the CLI gets the database key. A phone keeps it in its keystore; the CLI, which runs on a
//! laptop or server for demos and admin work, reads it from `HOMEVISIT_DB_KEY` (64 hex characters)
//! or from a key file (mode 0600) beside the data.

use std::io::Write;
use std::path::Path;

use homevisit_store::DbKey;

pub fn read(key_file: &Path) -> Result<DbKey, String> {
    if let Ok(hex) = std::env::var("HOMEVISIT_DB_KEY") {
        return DbKey::from_hex(&hex).ok_or_else(|| "HOMEVISIT_DB_KEY must be 64 hex characters".to_string());
    }
    let text = std::fs::read_to_string(key_file)
        .map_err(|e| format!("cannot read the key file {}: {e} (run `homevisit init` first)", key_file.display()))?;
    DbKey::from_hex(&text).ok_or_else(|| format!("the key file {} does not hold 64 hex characters", key_file.display()))
}

/// Reads the key, or makes a new random one (file mode 0600) if there is none yet.
pub fn read_or_create(key_file: &Path) -> Result<DbKey, String> {
    if std::env::var("HOMEVISIT_DB_KEY").is_ok() || key_file.exists() {
        return read(key_file);
    }
    let key = DbKey::generate().map_err(|e| format!("no random key: {e}"))?;
    if let Some(dir) = key_file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(key_file).map_err(|e| format!("cannot create {}: {e}", key_file.display()))?;
    writeln!(file, "{}", key.to_hex()).map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
    file.sync_all().map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
    Ok(key)
}
