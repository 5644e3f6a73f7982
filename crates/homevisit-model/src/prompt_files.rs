//! The built-in prompt packs, kept as data: one JSON file per language under `prompts/`, so a
//! translator edits a file, not code. Each file holds its language, whether a native speaker has
//! reviewed it, a note, and the packs for visit 1 and visit 2. The files are compiled in
//! (`include_str!`) and parsed at first use; `every_shipped_file_parses_and_validates` keeps a
//! broken file from shipping (and one that failed anyway would be left out, never a panic).

use std::sync::LazyLock;

use serde::Deserialize;

use crate::ids::SchoolId;
use crate::language::Language;
use crate::prompts::{PromptPack, Review};
use crate::validate::{ValidationError, validate_prompt_pack};
use crate::visit::VisitNumber;

/// Every shipped file: (file name, its text).
pub const FILES: &[(&str, &str)] = &[
    ("en.json", include_str!("../prompts/en.json")),
    ("es.json", include_str!("../prompts/es.json")),
    ("ar.json", include_str!("../prompts/ar.json")),
    ("zh-Hans.json", include_str!("../prompts/zh-Hans.json")),
    ("vi.json", include_str!("../prompts/vi.json")),
    ("so.json", include_str!("../prompts/so.json")),
    ("ht.json", include_str!("../prompts/ht.json")),
    ("pt.json", include_str!("../prompts/pt.json")),
];

/// Why a pack file could not be used. Names the file and field, never its text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackFileError {
    #[error("prompt file {file} is not valid JSON for a pack file: {reason}")]
    Json { file: String, reason: String },
    #[error("prompt file {file}: the language tag is not well-formed")]
    Language { file: String },
    #[error("prompt file {file}: visit {visit} is not 1 or 2, or is there twice")]
    Visit { file: String, visit: u8 },
    #[error("prompt file {file}, visit {visit}: {error}")]
    Invalid { file: String, visit: u8, error: ValidationError },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    language: String,
    reviewed: Option<Review>,
    note: Option<String>,
    visits: Vec<VisitPrompts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitPrompts {
    visit: u8,
    title: String,
    prompts: Vec<String>,
}

/// Reads one pack file: its packs (one per visit), each validated like any pack.
pub fn parse_pack_file(file: &str, text: &str) -> Result<Vec<PromptPack>, PackFileError> {
    let parsed: PackFile = serde_json::from_str(text).map_err(|e| PackFileError::Json {
        file: file.into(),
        reason: format!("line {} column {}", e.line(), e.column()),
    })?;
    let language = Language::parse(&parsed.language).ok_or_else(|| PackFileError::Language { file: file.into() })?;
    let mut packs: Vec<PromptPack> = Vec::new();
    for v in parsed.visits {
        let visit_number = VisitNumber::from_number(v.visit)
            .filter(|n| packs.iter().all(|p| p.visit_number != *n))
            .ok_or(PackFileError::Visit { file: file.into(), visit: v.visit })?;
        let pack = PromptPack {
            language: language.clone(),
            visit_number,
            title: v.title,
            prompts: v.prompts,
            school_id: None::<SchoolId>,
            reviewed: parsed.reviewed.clone(),
            note: parsed.note.clone(),
        };
        validate_prompt_pack(&pack).map_err(|error| PackFileError::Invalid {
            file: file.into(),
            visit: v.visit,
            error,
        })?;
        packs.push(pack);
    }
    Ok(packs)
}

static BUILT_IN: LazyLock<Vec<PromptPack>> =
    LazyLock::new(|| FILES.iter().filter_map(|(file, text)| parse_pack_file(file, text).ok()).flatten().collect());

/// The built-in packs, parsed once.
pub fn built_in() -> &'static [PromptPack] {
    &BUILT_IN
}

impl PromptPack {
    /// The packs shipped with the app (every file under `prompts/`, parsed once). Defined here,
    /// beside the files, so the record type (`prompts.rs`) does not depend on its data.
    pub fn built_in() -> Vec<PromptPack> {
        built_in().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word from each language's "hopes and dreams" question, written with the packs: visit 1
    /// opens with it and visit 2 comes back to it.
    const HOPES_AND_DREAMS: &[(&str, &[&str])] = &[
        ("en", &["hopes", "dreams"]),
        ("es", &["esperanzas", "sueños"]),
        ("ar", &["آمال", "أحلام"]),
        ("zh-Hans", &["希望", "梦想"]),
        ("vi", &["hy vọng", "ước mơ"]),
        ("so", &["rajo", "riyo"]),
        ("ht", &["espwa", "rèv"]),
        ("pt", &["esperanças", "sonhos"]),
    ];

    #[test]
    fn every_shipped_file_parses_and_validates() {
        for (file, text) in FILES {
            let packs = parse_pack_file(file, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(packs.len(), 2, "{file}: visit 1 and visit 2");
            // The file is named after its language.
            assert_eq!(format!("{}.json", packs[0].language), *file);
            for p in &packs {
                assert!(p.prompts.len() >= 5, "{file}: at least five prompts");
                assert_eq!(p.school_id, None, "built-in packs are the district's");
            }
        }
        assert_eq!(built_in().len(), 2 * FILES.len(), "nothing was left out");
    }

    #[test]
    fn the_required_languages_ship_with_both_visits() {
        for tag in ["en", "es", "ar", "zh-Hans", "vi", "so", "ht", "pt"] {
            for n in [VisitNumber::First, VisitNumber::Second] {
                assert!(
                    built_in().iter().any(|p| p.language.as_str() == tag && p.visit_number == n),
                    "{tag} visit {}",
                    n.number()
                );
            }
        }
    }

    #[test]
    fn visit_one_opens_with_hopes_and_dreams_and_visit_two_revisits_them() {
        assert_eq!(HOPES_AND_DREAMS.len(), FILES.len(), "a keyword for every language");
        for (tag, words) in HOPES_AND_DREAMS {
            for n in [VisitNumber::First, VisitNumber::Second] {
                let pack = built_in().iter().find(|p| p.language.as_str() == *tag && p.visit_number == n).unwrap();
                for w in *words {
                    assert!(pack.prompts[0].contains(w), "{tag} visit {}: opens with {w}", n.number());
                }
            }
        }
    }

    #[test]
    fn every_translation_is_marked_as_an_unreviewed_draft() {
        for p in built_in() {
            assert!(!p.is_reviewed(), "{}: nobody has reviewed the shipped wording", p.language);
            let note = p.note.as_deref().unwrap_or_default();
            if p.language.as_str() != "en" {
                assert!(note.contains("NOT yet reviewed by a native speaker"), "{}: says so", p.language);
            }
        }
    }

    #[test]
    fn right_to_left_arabic_is_kept_unchanged() {
        let text = FILES.iter().find(|(f, _)| *f == "ar.json").unwrap().1;
        let first = &built_in().iter().find(|p| p.language.as_str() == "ar").unwrap().prompts[0];
        assert_eq!(first, "ما هي آمالكم وأحلامكم لطفلكم؟");
        assert!(text.contains(first.as_str()), "the same code points as in the file");
        // Through JSON (export, the FFI's serde) and back, byte for byte.
        let pack = built_in().iter().find(|p| p.language.as_str() == "ar").unwrap();
        let back: PromptPack = serde_json::from_str(&serde_json::to_string(pack).unwrap()).unwrap();
        assert_eq!(&back, pack);
    }

    #[test]
    fn a_bad_file_is_a_typed_error_naming_the_file() {
        let err = |text: &str| parse_pack_file("xx.json", text).unwrap_err();
        assert!(matches!(err("{"), PackFileError::Json { .. }));
        let pack = |lang: &str, visits: &str| {
            format!(r#"{{"language": "{lang}", "reviewed": null, "note": null, "visits": [{visits}]}}"#)
        };
        let one = r#"{"visit": 1, "title": "T", "prompts": ["Q?"]}"#;
        assert!(matches!(err(&pack("not a tag", one)), PackFileError::Language { .. }));
        assert!(matches!(err(&pack("fr", &format!("{one}, {one}"))), PackFileError::Visit { visit: 1, .. }));
        assert!(matches!(
            err(&pack("fr", r#"{"visit": 3, "title": "T", "prompts": ["Q?"]}"#)),
            PackFileError::Visit { visit: 3, .. }
        ));
        assert!(matches!(
            err(&pack("fr", r#"{"visit": 1, "title": "T", "prompts": []}"#)),
            PackFileError::Invalid { error: ValidationError::Empty { field: "prompts" }, .. }
        ));
        assert!(matches!(err(r#"{"language": "fr", "visits": [], "extra": 1}"#), PackFileError::Json { .. }));
        assert_eq!(parse_pack_file("fr.json", &pack("fr", one)).unwrap()[0].title, "T");
    }
}
