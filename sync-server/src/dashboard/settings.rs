//! The dashboard's session and lock-out settings, read once from the environment when the relay
//! opens (like `serve::Limits::from_env`) and kept in the `Relay`.

use std::time::Duration;

/// How long sessions last and how sign-in failures lock an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// A session unused this long ends (`HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS`, default 30 min).
    pub idle: Duration,
    /// A session ends this long after sign-in, however it is used (12 h).
    pub absolute: Duration,
    /// Failed sign-ins in a row that lock an account (5).
    pub lock_after: u32,
    /// How long a lock lasts (`HOMEVISIT_RELAY_DASHBOARD_LOCK_SECONDS`, default 15 min).
    pub lock_for: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(1800),
            absolute: Duration::from_secs(12 * 3600),
            lock_after: 5,
            lock_for: Duration::from_secs(900),
        }
    }
}

impl Settings {
    /// The defaults, with the environment's settings where given.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let seconds = |name: &str| -> Result<Option<Duration>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Some(Duration::from_secs(n))),
                    _ => Err(format!("{name} must be a whole number of seconds above 0")),
                },
            }
        };
        let mut settings = Self::default();
        if let Some(idle) = seconds("HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS")? {
            settings.idle = idle;
        }
        if let Some(lock) = seconds("HOMEVISIT_RELAY_DASHBOARD_LOCK_SECONDS")? {
            settings.lock_for = lock;
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_defaults_and_bad_values_are_refused() {
        assert_eq!(Settings::from_vars(|_| None).unwrap(), Settings::default());
        let set = Settings::from_vars(|n| match n {
            "HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS" => Some("60".into()),
            "HOMEVISIT_RELAY_DASHBOARD_LOCK_SECONDS" => Some(" 5 ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((set.idle, set.lock_for), (Duration::from_secs(60), Duration::from_secs(5)));
        for bad in ["0", "-1", "ten"] {
            let got = Settings::from_vars(|n| (n == "HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS").then(|| bad.to_string()));
            assert!(got.is_err(), "{bad}");
        }
    }
}
