//! The demo district (`serve --demo`, the README's first command), imported the way a real
//! district's is: its OneRoster export (`crates/homevisit-fixtures/demo-district/`, compiled in)
//! through `homevisit_roster::parse` and [`Relay::upsert_records`], the code behind
//! `homevisit-relay roster import`; then demo visits around today; then single-use invite codes
//! for two partners, their coordinator and a district administrator; then ([`demo_accounts`])
//! dashboard accounts with random passwords for that coordinator and the district administrator.
//! Every name is invented.

use chrono::{FixedOffset, NaiveDate};
use homevisit_docs::DocKind;
use homevisit_roster::Format;

use homevisit_model::SchoolId;

use crate::access::{Role, random_hex};
use crate::audit::AuditEvent;
use crate::dashboard_accounts::AccountError;
use crate::dashboard_store::DashboardStoreError;
use crate::{Relay, RelayError};

/// One printed invite: whom it is for (a demo display name, or "District"), as what, the code.
#[derive(Clone, Debug)]
pub struct DemoInvite {
    pub name: String,
    /// The school the invite enrolls in.
    pub school: SchoolId,
    pub role: Role,
    pub code: String,
}

/// A dashboard account made for the demo, with its password (random, printed once).
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub school: SchoolId,
    pub role: Role,
}

/// The demo's dashboard usernames, by role.
pub const DEMO_COORDINATOR: &str = "coordinator";
pub const DEMO_DISTRICT_ADMIN: &str = "district-admin";

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
        invites.push(DemoInvite { name: name.into(), school, role, code });
    }
    Ok(Some(invites))
}

/// Dashboard accounts for the demo's coordinator and district administrator (the schools of their
/// invites), each with a random 20-character password, audited as the operator's. `invites` are
/// what [`import_demo_district`] returned: it made them only on an empty relay, so these are made
/// only there too. A username already taken (an operator's account) is left as it is.
pub fn demo_accounts(relay: &Relay, invites: &[DemoInvite]) -> Result<Vec<DemoAccount>, RelayError> {
    let mut accounts = Vec::new();
    for (username, role) in [(DEMO_COORDINATOR, Role::SchoolCoordinator), (DEMO_DISTRICT_ADMIN, Role::DistrictAdmin)] {
        let Some(invite) = invites.iter().find(|i| i.role == role) else { continue };
        let password = random_hex(10)?;
        let account = match relay.create_dashboard_account(invite.school, role, username, &password) {
            Ok(account) => account,
            Err(AccountError::Store(DashboardStoreError::UsernameTaken)) => continue,
            Err(e) => return Err(RelayError::Io(e.to_string())),
        };
        accounts.push(DemoAccount { username: account.username, password, school: account.school_id, role });
    }
    Ok(accounts)
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

    /// The demo's dashboard accounts: the coordinator's school's coordinator and the district
    /// administrator, each signing in with the password printed (and no other), audited by id.
    #[test]
    fn the_demo_makes_a_coordinators_and_an_administrators_dashboard_account() {
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Embedded).unwrap();
        let (day, offset) = today();
        let invites = import_demo_district(&relay, day, offset).unwrap().unwrap();
        let accounts = demo_accounts(&relay, &invites).unwrap();
        assert_eq!(accounts.len(), 2);
        let coordinator_school = invites.iter().find(|i| i.role == Role::SchoolCoordinator).unwrap().school;
        for (account, (username, role)) in accounts
            .iter()
            .zip([(DEMO_COORDINATOR, Role::SchoolCoordinator), (DEMO_DISTRICT_ADMIN, Role::DistrictAdmin)])
        {
            assert_eq!((account.username.as_str(), account.role, account.school), (username, role, coordinator_school));
            assert!(account.password.len() >= 16);
            let stored = relay.dashboard().account_by_username(username).unwrap().expect("stored");
            assert!(crate::dashboard_password::verify_password(&account.password, &stored.password_hash));
            assert!(!stored.password_hash.contains(&account.password));
        }
        assert_ne!(accounts[0].password, accounts[1].password);
        let audited: Vec<_> =
            relay.audit().entries(0, 1000).unwrap().into_iter().filter(|e| e.action == "dashboard_account").collect();
        assert_eq!(audited.len(), 2);
        // By id: the account's, its role and school; never its username ("district-admin") or password.
        for (entry, account) in audited.iter().zip(&accounts) {
            let stored = relay.dashboard().account_by_username(&account.username).unwrap().unwrap();
            assert_eq!(entry.subject, stored.id.to_string());
            assert_eq!(entry.detail, format!("{} {}", account.role.as_str(), account.school));
        }
        assert!(!format!("{audited:?}").contains(DEMO_DISTRICT_ADMIN));
        // Again (an operator's account under the name): left as it is, nothing made.
        assert!(demo_accounts(&relay, &invites).unwrap().is_empty());
    }
}
