//! Conversation-starter prompt packs: content, not code. The built-in packs (English and Spanish,
//! visits 1 and 2) are what a phone shows until a coordinator edits a pack; edited packs are synced
//! as documents.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::language::Language;
use crate::visit::VisitNumber;

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
