//! Conversation-starter prompt packs: content, not code. The built-in packs (English and Spanish,
//! visits 1 and 2) are what a phone shows until a coordinator edits a pack; edited packs are synced
//! as documents.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use serde::{Deserialize, Serialize};

use crate::visit::VisitNumber;

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PromptPack {
    pub language: Language,
    pub visit_number: VisitNumber,
    pub title: String,
    pub prompts: Vec<String>,
}

const EN_FIRST: &[&str] = &[
    "What are your hopes and dreams for your child?",
    "What does your child love to spend time on?",
    "What do you enjoy doing together as a family? Are there traditions that matter to you?",
    "What did you enjoy when you were your child's age?",
    "What should I know about your child to be a good teacher for them?",
    "How do you say your child's name? Is there a name they like to be called?",
    "How would you like me to stay in touch, and how often?",
    "Is there anything you would like to ask me or the school?",
];
const EN_SECOND: &[&str] = &[
    "Last time you shared your hopes and dreams for your child. How do you see them now?",
    "What progress have you noticed this year, at home or at school?",
    "What has been going well for your child? What has been hard?",
    "How can the school help you support learning at home?",
    "Here is what we have been working on in class. What would help your child most?",
    "Is our way of staying in touch still working for you?",
];
const ES_FIRST: &[&str] = &[
    "¿Cuáles son sus esperanzas y sueños para su hijo o hija?",
    "¿En qué le encanta pasar el tiempo a su hijo o hija?",
    "¿Qué les gusta hacer juntos en familia? ¿Hay tradiciones importantes para ustedes?",
    "¿Qué le gustaba hacer a usted cuando tenía la edad de su hijo o hija?",
    "¿Qué debo saber de su hijo o hija para ser un buen maestro para él o ella?",
    "¿Cómo se pronuncia el nombre de su hijo o hija? ¿Le gusta que le llamen de otra manera?",
    "¿Cómo prefiere que nos comuniquemos, y con qué frecuencia?",
    "¿Hay algo que le gustaría preguntarme a mí o a la escuela?",
];
const ES_SECOND: &[&str] = &[
    "La última vez nos compartió sus esperanzas y sueños para su hijo o hija. ¿Cómo los ve ahora?",
    "¿Qué avances ha notado este año, en casa o en la escuela?",
    "¿Qué le ha ido bien a su hijo o hija? ¿Qué ha sido difícil?",
    "¿Cómo puede ayudarle la escuela a apoyar el aprendizaje en casa?",
    "Esto es lo que hemos trabajado en clase. ¿Qué le ayudaría más a su hijo o hija?",
    "¿Nuestra forma de mantenernos en contacto le sigue funcionando?",
];

impl PromptPack {
    /// The packs shipped with the app.
    pub fn built_in() -> Vec<PromptPack> {
        let pack = |language: Language, visit_number, title: &str, prompts: &[&str]| PromptPack {
            language,
            visit_number,
            title: title.to_string(),
            prompts: prompts.iter().map(|p| p.to_string()).collect(),
        };
        vec![
            pack(Language::english(), VisitNumber::First, "First visit: getting to know each other", EN_FIRST),
            pack(Language::english(), VisitNumber::Second, "Second visit: looking back, looking ahead", EN_SECOND),
            pack(Language::spanish(), VisitNumber::First, "Primera visita: conocernos", ES_FIRST),
            pack(Language::spanish(), VisitNumber::Second, "Segunda visita: mirar atrás, mirar adelante", ES_SECOND),
        ]
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

    #[test]
    fn built_in_packs_cover_both_languages_and_visits() {
        let packs = PromptPack::built_in();
        for lang in [Language::english(), Language::spanish()] {
            for n in [VisitNumber::First, VisitNumber::Second] {
                let p = packs.iter().find(|p| p.language == lang && p.visit_number == n).unwrap();
                assert!(p.prompts.len() >= 5);
            }
        }
        // Visit 1 always opens with hopes and dreams.
        assert!(packs[0].prompts[0].contains("hopes and dreams"));
        assert!(packs[2].prompts[0].contains("esperanzas y sueños"));
    }
}
