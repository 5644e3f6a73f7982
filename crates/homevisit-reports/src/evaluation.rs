//! An anonymised export for an evaluator: no names and no free text; every id (visit, family,
//! school, educator) replaced by a pseudonym that is stable within one export (the same id, the
//! same pseudonym) and unrelated across exports (each export has its own random key, which the
//! caller draws and never keeps).

use std::collections::{BTreeSet, HashMap};

use homevisit_model::{Family, FamilyId};
use sha2::{Digest, Sha256};

use crate::csv::{write, yes_no};
use crate::fidelity::Practices;
use crate::select::{educators_by_id, scheduled_in};
use crate::{Period, ReportData};

/// The export's header.
pub const EVALUATION_HEADER: &str = "visit,school,family,educators,visit_number,status,place_kind,interpreter,scheduled_month,duration_minutes,in_pair,agreement_before,debriefed,trained_or_paired,documented,grades";

/// The export as CSV: one row per visit scheduled in `period`, ordered by month then pseudonym
/// (so the order tells no more than the month). `key`: 32 random bytes, drawn for this export
/// only. `grades`: the grade labels of the family's students, each grade once, joined by `;`.
pub fn evaluation_csv(data: &ReportData, period: &Period, key: &[u8; 32]) -> String {
    let educators = educators_by_id(data);
    let families: HashMap<FamilyId, &Family> = data.families.iter().map(|f| (f.id, f)).collect();
    let alias = Pseudonyms { key };
    let mut rows: Vec<Vec<String>> = scheduled_in(data, period)
        .map(|v| {
            let practices = Practices::of(v, &educators, data);
            let grades: BTreeSet<_> = families
                .get(&v.plan.family_id)
                .map(|f| f.students.iter().map(|s| s.grade).collect())
                .unwrap_or_default();
            vec![
                alias.of('V', v.plan.id.uuid()),
                alias.of('S', v.plan.school_id.uuid()),
                alias.of('F', v.plan.family_id.uuid()),
                v.plan.educator_ids.iter().map(|e| alias.of('E', e.uuid())).collect::<Vec<_>>().join(";"),
                v.plan.visit_number.number().to_string(),
                v.outcome.status.as_str().to_string(),
                v.plan.place.kind().to_string(),
                yes_no(v.plan.interpreter.is_some()),
                v.plan.scheduled_at.0.format("%Y-%m").to_string(),
                v.duration_minutes().map(|m| m.to_string()).unwrap_or_default(),
                yes_no(practices.in_pair),
                yes_no(practices.agreement_before),
                yes_no(practices.debriefed),
                yes_no(practices.trained_or_paired),
                yes_no(v.is_documented()),
                grades.iter().map(|g| g.label()).collect::<Vec<_>>().join(";"),
            ]
        })
        .collect();
    rows.sort_by(|a, b| a[8].cmp(&b[8]).then_with(|| a[0].cmp(&b[0])));
    write(EVALUATION_HEADER, rows.into_iter())
}

/// Pseudonyms under one export's key: `P-` and the first 10 hex digits of
/// SHA-256(key ‖ P ‖ id), P the kind's letter (visit, school, family, educator), so one id has
/// one pseudonym per kind and export and none can be traced back without the key.
struct Pseudonyms<'a> {
    key: &'a [u8; 32],
}

impl Pseudonyms<'_> {
    fn of(&self, kind: char, id: uuid::Uuid) -> String {
        let mut prefix = [0u8; 4];
        let digest = Sha256::new()
            .chain_update(self.key)
            .chain_update(kind.encode_utf8(&mut prefix).as_bytes())
            .chain_update(id.as_bytes())
            .finalize();
        format!("{kind}-{}", hex::encode(&digest[..5]))
    }
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, period};

    fn roster() -> Roster {
        let mut r = Roster::default();
        let s = r.school("Lincoln Elementary");
        let a = r.educator(s, "Ana Alvarez", Some("2026-08-01"));
        let b = r.educator(s, "Ben Brown", None);
        let f = r.family(s, "Garcia family", &[(Grade::G3, &["Room 12"]), (Grade::K, &["Room 2"]), (Grade::G3, &[])]);
        let g = r.family(s, "Lee family", &[(Grade::G1, &[])]);
        let v = r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.data.debriefed.insert(v);
        r.visit(g, &[a, b], VisitNumber::First, VisitStatus::FamilyNotHome, "2026-10-02T16:00:00Z");
        r.completed(g, &[a, b], "2027-07-02T16:00:00Z");
        r
    }

    fn rows(csv: &str) -> Vec<Vec<String>> {
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>().join(","), EVALUATION_HEADER);
        reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
    }

    #[test]
    fn one_row_per_visit_in_the_period_with_its_practices() {
        let r = roster();
        let got = rows(&evaluation_csv(&r.data, &period("2026-07-01", "2027-06-30"), &[7; 32]));
        assert_eq!(got.len(), 2, "the visit after the period is left out");
        let done = &got[0];
        assert!(done[0].starts_with("V-") && done[0].len() == 12, "{}", done[0]);
        assert!(done[1].starts_with("S-") && done[2].starts_with("F-"));
        assert_eq!(done[3].split(';').filter(|e| e.starts_with("E-") && e.len() == 12).count(), 2);
        assert_eq!(done[4..].join(","), "1,completed,home,no,2026-09,60,yes,yes,yes,yes,yes,K;3");
        assert_eq!(got[1][4..10].join(","), "1,family_not_home,home,no,2026-10,");
        assert_eq!(got[1][15], "1");
    }

    #[test]
    fn pseudonyms_are_stable_within_an_export_and_differ_across_keys() {
        let r = roster();
        let p = period("2026-07-01", "2027-06-30");
        let one = rows(&evaluation_csv(&r.data, &p, &[1; 32]));
        assert_eq!(one[0][1], one[1][1], "one school, one pseudonym");
        assert_eq!(one[0][3], one[1][3], "the same pair, the same pseudonyms");
        assert_ne!(one[0][2], one[1][2], "two families, two pseudonyms");
        assert_eq!(one, rows(&evaluation_csv(&r.data, &p, &[1; 32])));
        let other = rows(&evaluation_csv(&r.data, &p, &[2; 32]));
        for (a, b) in one.iter().zip(&other) {
            for col in 0..4 {
                assert_ne!(a[col], b[col], "column {col}");
            }
        }
    }

    #[test]
    fn no_name_id_or_class_from_the_data_appears() {
        let r = roster();
        let csv = evaluation_csv(&r.data, &period("2026-07-01", "2027-06-30"), &[9; 32]);
        let d = &r.data;
        let mut secrets: Vec<String> = d.schools.iter().flat_map(|s| [s.name.clone(), s.id.to_string()]).collect();
        secrets.extend(d.educators.iter().flat_map(|e| [e.display_name.clone(), e.id.to_string()]));
        for f in &d.families {
            secrets.extend([f.display_name.clone(), f.id.to_string()]);
            secrets.extend(f.students.iter().flat_map(|s| s.classes.iter().cloned().chain([s.first_name.clone()])));
        }
        secrets.extend(d.visits.iter().map(|v| v.plan.id.to_string()));
        for secret in secrets {
            assert!(!csv.contains(&secret), "{secret} leaked");
        }
        for word in ["Garcia", "Lee", "Ana", "Ben", "Lincoln", "Room"] {
            assert!(!csv.contains(word), "{word} leaked");
        }
    }
}
