//! The demo district (`serve --demo`, the README's first command), imported the way a real
//! district's is: its OneRoster export (`crates/homevisit-fixtures/demo-district/`, compiled in)
//! through `homevisit_roster::parse` and [`Relay::upsert_records`], the code behind
//! `homevisit-relay roster import`; then demo visits around today; then single-use invite codes
//! for two partners, their coordinator and a district administrator. Every name is invented.

use chrono::{FixedOffset, NaiveDate};
use homevisit_docs::DocKind;
use homevisit_roster::Format;

use crate::access::Role;
use crate::audit::AuditEvent;
use crate::{Relay, RelayError};

/// One printed invite: whom it is for (a demo display name, or "District"), as what, the code.
#[derive(Clone, Debug)]
pub struct DemoInvite {
    pub name: String,
    pub role: Role,
    pub code: String,
}

/// Imports the demo district into `relay` with visits around `today` (at `offset`), and makes its
/// invites. `None` if the relay already holds documents: the demo never writes over real data.
pub fn import_demo_district(
    relay: &Relay,
    today: NaiveDate,
    offset: FixedOffset,
) -> Result<Option<Vec<DemoInvite>>, RelayError> {
    if relay.document_count()? > 0 {
        return Ok(None);
    }
    let roster = homevisit_roster::parse(Format::OneRoster, &homevisit_fixtures::demo::oneroster_files())
        .map_err(|errors| RelayError::Io(format!("the demo district's roster has {} error(s)", errors.len())))?;
    relay.upsert_records(&roster, false)?;
    // The visits name the roster's records; the scratch store needs the roster to check each
    // plan, but only the visits' documents are merged.
    let data = homevisit_fixtures::demo::data_set_of(&roster, today, offset);
    relay.import_kinds(&[DocKind::VisitLog, DocKind::VisitNotes], |store| {
        store.import_district(&data.schools, &data.educators, &data.families, &data.visits)
    })?;

    let person = |name: &str| data.educators.iter().find(|e| e.display_name == name).expect("a demo educator");
    let (rivera, okafor, johnson) = (person("Elena Rivera"), person("Grace Okafor"), person("Dana Johnson"));
    let mut invites = Vec::new();
    for (name, school, role) in [
        ("Elena Rivera", rivera.school_id, Role::Educator(rivera.id)),
        ("Grace Okafor", okafor.school_id, Role::Educator(okafor.id)),
        ("Dana Johnson", johnson.school_id, Role::SchoolCoordinator),
        // Last, so readers that wait for the first three are unaffected.
        ("District", johnson.school_id, Role::DistrictAdmin),
    ] {
        let code = relay.access().invite(&school, &role)?;
        relay.audit_operator(&[AuditEvent::Invited { school, role }])?;
        invites.push(DemoInvite { name: name.into(), role, code });
    }
    Ok(Some(invites))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use homevisit_docs::{DocId, DocKind};
    use homevisit_roster::Format;

    use super::*;
    use crate::Storage;
    use crate::roster_import::read_roster_files;

    fn today() -> (NaiveDate, FixedOffset) {
        (NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(), FixedOffset::west_opt(5 * 3600).unwrap())
    }

    /// The demo went through the roster import: `roster import` of the sample's files on disk
    /// afterwards finds every record there, unchanged (a second, independently created document
    /// for any id would differ or be reported new).
    #[test]
    fn the_demo_district_is_its_oneroster_sample_imported_as_a_districts_roster() {
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Embedded).unwrap();
        let (day, offset) = today();
        let invites = import_demo_district(&relay, day, offset).unwrap().expect("an empty relay imports");
        assert_eq!(invites.len(), 4);

        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/homevisit-fixtures/demo-district");
        let files = read_roster_files(&sample, Format::OneRoster).unwrap();
        assert_eq!(files, homevisit_fixtures::demo::oneroster_files(), "the relay carries the files on disk");
        let roster = homevisit_roster::parse(Format::OneRoster, &files).unwrap();
        let again = relay.upsert_records(&roster, true).unwrap();
        for kind in [&again.schools, &again.educators, &again.families] {
            assert!(kind.new.is_empty() && kind.changed.is_empty(), "{again:?}");
        }
        assert_eq!(
            (again.schools.unchanged.len(), again.educators.unchanged.len(), again.families.unchanged.len()),
            (2, 6, 8)
        );

        // And the demo's visits are there, for the roster's families.
        let data = homevisit_fixtures::demo::data_set(day, offset);
        for (log, _) in &data.visits {
            let id = DocId::new(DocKind::VisitLog, log.plan.id.uuid());
            assert!(relay.document(&id).unwrap().is_some(), "visit {} imported", log.plan.id);
            assert!(roster.families.iter().any(|f| f.id == log.plan.family_id));
        }
        // Each invite is on the audit trail; a second start imports nothing.
        let invited = relay.audit().entries(0, 1000).unwrap().iter().filter(|e| e.action == "invited").count();
        assert_eq!(invited, 4);
        assert!(import_demo_district(&relay, day, offset).unwrap().is_none());
    }
}
