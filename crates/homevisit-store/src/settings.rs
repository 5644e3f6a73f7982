//! The phone's small settings, kept inside the encrypted store (for example which relay the device
//! syncs with and its device token, which must never sit in a plain file).

use rusqlite::OptionalExtension;

use crate::Store;
use crate::error::Result;

impl Store {
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting:{name}")], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        let key = format!("setting:{name}");
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, v],
            )?,
            None => self.conn.execute("DELETE FROM meta WHERE key = ?1", [key])?,
        };
        Ok(())
    }
}
