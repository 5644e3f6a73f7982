//! A family's (and a prompt pack's) language: a validated BCP 47 tag. Its own module because
//! visits, rosters and prompt packs all name it.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use serde::{Deserialize, Serialize};

/// A BCP 47 language tag such as `en`, `es` or `zh-Hant`, kept in lower-case primary form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    /// Longest tag accepted, in bytes: the length RFC 5646 (4.4.1) asks every implementation to
    /// support. Without it a tag could chain subtags without end (`en-a-b-c-...`).
    pub const MAX_LEN: usize = 35;

    /// Accepts 2-3 letter primary subtags with optional alphanumeric subtags (`en`, `es-MX`), at
    /// most [`Language::MAX_LEN`] long.
    pub fn parse(tag: &str) -> Option<Language> {
        let tag = tag.trim();
        if tag.len() > Self::MAX_LEN {
            return None;
        }
        let mut parts = tag.split('-');
        let primary = parts.next()?;
        let primary_ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        (primary_ok && rest_ok).then(|| {
            let (p, r) = tag.split_at(primary.len());
            Language(format!("{}{}", p.to_ascii_lowercase(), r))
        })
    }
    pub fn english() -> Language {
        Language("en".into())
    }
    pub fn spanish() -> Language {
        Language("es".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The primary subtag: `es` for `es-MX`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Reconcile for Language {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(&self.0)
    }
}

impl Hydrate for Language {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        Language::parse(s).ok_or_else(|| HydrateError::unexpected("a language tag", "another string".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_validated() {
        assert_eq!(Language::parse("ES-MX").unwrap().as_str(), "es-MX");
        assert_eq!(Language::parse("es-MX").unwrap().primary(), "es");
        assert!(Language::parse("").is_none());
        assert!(Language::parse("spanish language").is_none());
        assert!(Language::parse("e").is_none());
        assert!(Language::parse("en--US").is_none(), "an empty subtag");
        let longest = format!("en{}", "-abcdefgh".repeat(3)); // 29 bytes
        assert!(Language::parse(&longest).is_some());
        assert!(Language::parse(&format!("en{}", "-a".repeat(17))).is_none(), "36 bytes");
    }
}
