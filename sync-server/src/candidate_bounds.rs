//! A part of a device's candidates ([`CandidateRange`]) as the id bounds each of the storages'
//! index scans needs. Both storages list a school's candidates as three scans, each walking an
//! index in id order and stopping at the part's size: the documents whose own recorded school it
//! is (the index on school and id), the notes of the visits logged in it (the same index over
//! their logs: a visit's notes and log share the visit's id), and the prompt packs (no school's,
//! every device's). So a page costs what it offers, however many other schools' documents there
//! are. Ids compare bytewise (as text in C collation), as [`CandidateRange::select`] does.

use homevisit_docs::DocId;
use homevisit_sync::CandidateRange;

const LOG: &str = "visit-log/";
const NOTES: &str = "visit-notes/";
const PACK: &str = "prompt-pack/";

/// Exclusive lower and inclusive upper bounds, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub after: String,
    pub upto: String,
}

/// The range's own bounds ("": before every id; "~": after every id, as every id is a lowercase
/// kind, "/" and a UUID).
pub(crate) fn own(range: CandidateRange<'_>) -> Bounds {
    Bounds {
        after: range.after.map_or_else(String::new, DocId::to_string),
        upto: range.upto.map_or_else(|| "~".to_owned(), DocId::to_string),
    }
}

/// The part's size as a database limit.
pub(crate) fn limit(range: CandidateRange<'_>) -> i64 {
    i64::try_from(range.limit).unwrap_or(i64::MAX)
}

/// The bounds on visit logs' ids whose notes' ids are within the range.
pub(crate) fn notes_as_logs(range: CandidateRange<'_>) -> Bounds {
    let own = own(range);
    Bounds { after: notes_bound_as_log(&own.after), upto: notes_bound_as_log(&own.upto) }
}

/// The bounds of the range within the prompt packs' ids.
pub(crate) fn prompt_packs(range: CandidateRange<'_>) -> Bounds {
    let own = own(range);
    let end = kind_end(PACK);
    Bounds { after: own.after.max(PACK.to_owned()), upto: own.upto.min(end) }
}

/// A bound on notes' ids as the same bound on their logs' ids.
fn notes_bound_as_log(bound: &str) -> String {
    if let Some(visit) = bound.strip_prefix(NOTES) {
        format!("{LOG}{visit}")
    } else if bound < NOTES {
        LOG.to_owned() // before every note: before every log
    } else {
        kind_end(LOG) // after every note: after every log
    }
}

/// Greater than every id that starts with `prefix` (which ends in "/"), less than any other
/// greater one: the prefix with its "/" made "0".
fn kind_end(prefix: &str) -> String {
    format!("{}0", &prefix[..prefix.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_docs::DocKind;

    fn id(kind: DocKind, n: u128) -> DocId {
        DocId::new(kind, uuid::Uuid::from_u128(n))
    }

    #[test]
    fn notes_bounds_map_to_the_same_visits_logs() {
        let (a, b) = (id(DocKind::VisitNotes, 5), id(DocKind::VisitNotes, 9));
        let bounds = notes_as_logs(CandidateRange { after: Some(&a), upto: Some(&b), limit: 10 });
        assert_eq!(bounds.after, id(DocKind::VisitLog, 5).to_string());
        assert_eq!(bounds.upto, id(DocKind::VisitLog, 9).to_string());
        // Bounds of other kinds: before every note is before every log, after is after.
        let (family, pack) = (id(DocKind::Family, 1), id(DocKind::PromptPack, 1));
        let before = notes_as_logs(CandidateRange { after: Some(&family), upto: Some(&pack), limit: 10 });
        assert_eq!(before, Bounds { after: LOG.into(), upto: LOG.into() }, "no note is in it");
        let open = notes_as_logs(CandidateRange::all());
        assert_eq!(open, Bounds { after: LOG.into(), upto: "visit-log0".into() });
        let log = id(DocKind::VisitLog, 7).to_string();
        assert!(open.after < log && log <= open.upto);
    }

    #[test]
    fn prompt_pack_bounds_stay_within_the_packs() {
        let all = prompt_packs(CandidateRange::all());
        let pack = id(DocKind::PromptPack, 3).to_string();
        assert!(all.after < pack && pack <= all.upto);
        for other in [id(DocKind::Family, 3), id(DocKind::School, 3), id(DocKind::VisitLog, 3)] {
            let other = other.to_string();
            assert!(!(all.after < other && other <= all.upto), "{other} is not a pack");
        }
        let after = id(DocKind::PromptPack, 3);
        let part = prompt_packs(CandidateRange { after: Some(&after), upto: None, limit: 1 });
        assert_eq!(part.after, pack);
    }
}
