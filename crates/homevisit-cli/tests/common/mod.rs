//! What the CLI's test binaries share.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `homevisit` binary on `data` with `args`, with no key from the environment (each test
/// chooses how the store's key is found).
pub fn homevisit(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homevisit"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("HOMEVISIT_DB_KEY")
        .env_remove("HOMEVISIT_KEY_FILE")
        .output()
        .unwrap()
}
