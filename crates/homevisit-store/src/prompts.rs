//! Conversation starters on the phone: which pack a screen shows. A district administrator's
//! edited packs arrive as documents (the district's, and the phone's school's: the relay gives a
//! phone no other school's); until then the built-in packs (`homevisit_model::prompt_files`).

use homevisit_docs::DocId;
use homevisit_model::{Language, PromptPack, SchoolId, ValidationError, VisitId, VisitNumber};
use rusqlite::OptionalExtension;

use crate::Store;
use crate::error::{Result, StoreError};

impl Store {
    /// Saves an edited prompt pack (the district's, or a school's when `pack.school_id` is set),
    /// synced like any document; only a district administrator's device may send it to the relay.
    pub fn put_prompt_pack(&mut self, pack: &PromptPack) -> Result<()> {
        self.put_record(pack)
    }

    /// The prompt pack for a language and visit on this phone: as [`Store::prompt_pack_for`] with
    /// the phone's school ([`Store::home_school`]).
    pub fn prompt_pack(&mut self, language: &Language, visit_number: VisitNumber) -> Result<PromptPack> {
        let school = self.home_school()?;
        self.prompt_pack_for(school, language, visit_number)
    }

    /// The conversation starters for a visit, in its family's preferred language, for the visit's
    /// number and school.
    pub fn prompts_for_visit(&mut self, visit: VisitId) -> Result<PromptPack> {
        let plan = self.visit_log(visit)?.plan;
        let family = self.family(plan.family_id)?;
        self.prompt_pack_for(Some(plan.school_id), &family.preferred_language, plan.visit_number)
    }

    /// The pack for `language` and a visit number, for `school` (`None`: the district's). For
    /// each language in turn, the school's edited pack, then the district's edited pack, then the
    /// built-in one; the languages tried are the tag itself (`es-MX`), its primary tag (`es`), any
    /// other pack of that primary tag (`zh-Hans` for `zh`, in tag order), then English.
    pub fn prompt_pack_for(
        &mut self,
        school: Option<SchoolId>,
        language: &Language,
        visit_number: VisitNumber,
    ) -> Result<PromptPack> {
        let school_key = school.map(|s| s.to_string());
        for lang in self.languages_to_try(school_key.as_deref(), language, visit_number)? {
            let scopes = school_key.as_deref().into_iter().chain([""]);
            for scope in scopes {
                if let Some(id) = self.stored_pack(scope, &lang, visit_number)? {
                    return self.get_record(id);
                }
            }
            if let Some(p) = built_in(&lang, visit_number) {
                return Ok(p);
            }
        }
        Err(StoreError::Invalid(ValidationError::Empty { field: "prompt pack" }))
    }

    /// The phone's school, for packs: the one school whose records it holds. A phone is given its
    /// own school's records only; a device holding several schools (or none) uses the district's
    /// packs. (When enrollment records the phone's school, that replaces this guess.)
    pub fn home_school(&self) -> Result<Option<SchoolId>> {
        let mut stmt = self.conn.prepare_cached("SELECT school_id FROM school_index LIMIT 2")?;
        let schools = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(match schools.as_slice() {
            [one] => one.parse().ok(),
            _ => None,
        })
    }

    fn stored_pack(&self, school: &str, language: &str, visit_number: VisitNumber) -> Result<Option<DocId>> {
        let stored: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT doc_id FROM prompt_pack_index WHERE school_id = ?1 AND language = ?2 AND visit_number = ?3",
            )?
            .query_row(rusqlite::params![school, language, visit_number.number()], |r| r.get(0))
            .optional()?;
        Ok(stored.and_then(|s| s.parse().ok()))
    }

    /// The fallback order of languages (see [`Store::prompt_pack_for`]), without repeats.
    fn languages_to_try(
        &self,
        school: Option<&str>,
        language: &Language,
        visit_number: VisitNumber,
    ) -> Result<Vec<String>> {
        let primary = language.primary();
        let mut related: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT language FROM prompt_pack_index
                 WHERE visit_number = ?1 AND (school_id = '' OR school_id = ?2)",
            )?
            .query_map(rusqlite::params![visit_number.number(), school.unwrap_or("")], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        related.extend(homevisit_model::prompt_files::built_in().iter().map(|p| p.language.as_str().to_owned()));
        related.retain(|l| Language::parse(l).is_some_and(|l| l.primary() == primary));
        related.sort();
        let mut order = vec![language.as_str().to_owned(), primary.to_owned()];
        order.extend(related);
        order.push("en".to_owned());
        let mut seen = std::collections::HashSet::new();
        order.retain(|l| seen.insert(l.clone()));
        Ok(order)
    }
}

fn built_in(language: &str, visit_number: VisitNumber) -> Option<PromptPack> {
    homevisit_model::prompt_files::built_in()
        .iter()
        .find(|p| p.language.as_str() == language && p.visit_number == visit_number)
        .cloned()
}
