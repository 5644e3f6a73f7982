//! Which schools a dashboard request covers, decided from the signed-in account as the relay
//! recorded it (its role and school), never from the request: a school's coordinator sees only
//! that school (any other `school` value is [`Failure::NotFound`], as if it did not exist); a
//! district administrator sees every school and may pick one. The report data is loaded for
//! those schools only, so another school's visit, educator or family is simply not there.

use std::sync::Arc;

use homevisit_model::SchoolId;
use homevisit_reports::ReportData;

use super::respond::{Failure, blocking, internal};
use crate::Relay;
use crate::access::Role;
use crate::dashboard_store::Account;

/// The school a request names, as the account may see it: `Some(school)`, or `None` for every
/// school (a district administrator who picked none).
pub fn requested_school(account: &Account, requested: Option<&str>) -> Result<Option<SchoolId>, Failure> {
    let parsed = requested.map(|s| s.trim().parse().map(SchoolId).map_err(|_| Failure::NotFound)).transpose()?;
    match account.role {
        Role::DistrictAdmin => Ok(parsed),
        Role::SchoolCoordinator => match parsed {
            None => Ok(Some(account.school_id)),
            Some(school) if school == account.school_id => Ok(Some(school)),
            Some(_) => Err(Failure::NotFound),
        },
        Role::Educator(_) => Err(Failure::NotFound),
    }
}

/// Whether the account may see `school`'s records.
pub fn may_see(account: &Account, school: SchoolId) -> bool {
    match account.role {
        Role::DistrictAdmin => true,
        Role::SchoolCoordinator => school == account.school_id,
        Role::Educator(_) => false,
    }
}

/// A request's report data and the schools its account may pick from.
pub struct Scoped {
    /// The school shown, or `None`: every school.
    pub school: Option<SchoolId>,
    /// Every school the account may see (id, name), by name: a district administrator's picker.
    pub schools: Vec<(SchoolId, String)>,
    pub data: ReportData,
    /// Whether the account may pick a school (a district administrator).
    pub picks: bool,
}

/// Loads the report data the account may see for the school the request names.
pub async fn load(relay: &Arc<Relay>, account: &Account, requested: Option<&str>) -> Result<Scoped, Failure> {
    let school = requested_school(account, requested)?;
    let picks = account.role == Role::DistrictAdmin;
    let (relay, own) = (relay.clone(), account.school_id);
    blocking(move || {
        let data = relay.report_data(if picks { None } else { Some(own) }).map_err(internal)?;
        let schools = data.schools.iter().map(|s| (s.id, s.name.clone())).collect();
        let data = match school {
            Some(s) if picks => {
                let data = only_school(data, s);
                if data.schools.is_empty() {
                    return Err(Failure::NotFound);
                }
                data
            }
            _ => data,
        };
        Ok(Scoped { school, schools, data, picks })
    })
    .await
}

/// `data` narrowed to one school's records.
pub fn only_school(data: ReportData, school: SchoolId) -> ReportData {
    let visits: Vec<_> = data.visits.into_iter().filter(|v| v.plan.school_id == school).collect();
    let ids: std::collections::BTreeSet<_> = visits.iter().map(|v| v.plan.id).collect();
    let debriefed = data.debriefed.intersection(&ids).copied().collect();
    ReportData {
        schools: data.schools.into_iter().filter(|s| s.id == school).collect(),
        educators: data.educators.into_iter().filter(|e| e.school_id == school).collect(),
        families: data.families.into_iter().filter(|f| f.school_id == school).collect(),
        visits,
        debriefed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, school: SchoolId) -> Account {
        Account {
            id: uuid::Uuid::new_v4(),
            username: "u".into(),
            school_id: school,
            role,
            password_hash: String::new(),
            failed_sign_ins: 0,
            locked_until_ms: None,
        }
    }

    #[test]
    fn a_coordinator_sees_only_their_school_and_an_administrator_any() {
        let (a, b) = (SchoolId::new(), SchoolId::new());
        let coordinator = account(Role::SchoolCoordinator, a);
        assert_eq!(requested_school(&coordinator, None), Ok(Some(a)));
        assert_eq!(requested_school(&coordinator, Some(&a.to_string())), Ok(Some(a)));
        assert_eq!(requested_school(&coordinator, Some(&a.0.simple().to_string())), Ok(Some(a)));
        assert_eq!(requested_school(&coordinator, Some(&b.to_string())), Err(Failure::NotFound));
        assert_eq!(requested_school(&coordinator, Some("not-a-school")), Err(Failure::NotFound));
        assert!(may_see(&coordinator, a) && !may_see(&coordinator, b));
        let admin = account(Role::DistrictAdmin, a);
        assert_eq!(requested_school(&admin, None), Ok(None));
        assert_eq!(requested_school(&admin, Some(&b.to_string())), Ok(Some(b)));
        assert!(may_see(&admin, b));
        let educator = account(Role::Educator(homevisit_model::EducatorId::new()), a);
        assert_eq!(requested_school(&educator, None), Err(Failure::NotFound));
        assert!(!may_see(&educator, a));
    }
}
