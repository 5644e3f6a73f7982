//! A database of its own for each relay under test, on the server `HOMEVISIT_TEST_POSTGRES` names.

use std::path::Path;

/// The URL of the database for the relay whose data directory is `dir`, created if missing.
pub fn database_for(admin_url: &str, dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    let name = format!("hv_test_{:016x}", h.finish());
    let admin = admin_url.to_string();
    let db = name.clone();
    // The blocking client runs its own runtime: keep it off the test's.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("connect to the test PostgreSQL");
        let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db]).expect("query").is_some();
        if !exists {
            client.batch_execute(&format!("CREATE DATABASE {db}")).expect("create the test database");
        }
    })
    .join()
    .expect("database setup");
    with_database(admin_url, &name)
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_replaces_the_admin_one() {
        assert_eq!(super::with_database("postgres://u@127.0.0.1:5433/postgres", "x"), "postgres://u@127.0.0.1:5433/x");
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
