//! Who may read and write which document. Decided here, on the relay, from the relay's own query
//! tables and the device's enrollment: never from inside a document, where a client could edit it.
//!
//! | document | educator on the visit | other educator, same school | coordinator, same school | district admin, any school | other school |
//! | --- | --- | --- | --- | --- | --- |
//! | visit log | read + write | none | read | read | none |
//! | visit notes | read + write | none | read if the school's policy shares notes, else none | the same, by that school's policy | none |
//! | family | read + write | read + write | read + write | read + write | none |
//! | school, educator | read | read | read + write | read + write | none |
//! | prompt pack (the district's) | read | read | read | read + write | read |
//! | prompt pack (a school's) | read | read | read | read + write | none |
//!
//! A school coordinator (and an educator) reaches nothing outside the school its device was
//! enrolled in. A district administrator covers every school: for each it is what that school's
//! coordinator is (logs; notes only where that school's policy shares them), and it alone writes
//! the prompt packs phones show, the district's and every school's alike; everyone else reads the
//! district's packs and their own school's.

use std::collections::BTreeSet;

use homevisit_docs::DocKind;
use homevisit_docs::Scope;
use homevisit_model::SchoolId;
use homevisit_sync::Access as Permission;

use crate::access::{AccessError, AccessStore, Device, Role};

/// The schools whose policy shares visit notes with their coordinators, as far as one device's
/// access needs to know: none for an educator, its own school (if it shares) for a coordinator,
/// every school that shares for a district administrator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotesSharing(BTreeSet<SchoolId>);

impl NotesSharing {
    /// No school shares notes.
    pub fn none() -> Self {
        Self::default()
    }

    /// These schools share notes.
    pub fn by(schools: impl IntoIterator<Item = SchoolId>) -> Self {
        Self(schools.into_iter().collect())
    }

    /// Whether `school`'s policy shares notes with its coordinators.
    pub fn shares(&self, school: SchoolId) -> bool {
        self.0.contains(&school)
    }

    /// What `device` needs to know of the schools' policies, from the relay's records (an
    /// educator's device needs none: no query).
    pub fn for_device(access: &dyn AccessStore, device: &Device) -> Result<Self, AccessError> {
        Ok(match device.role {
            Role::Educator(_) => Self::none(),
            Role::SchoolCoordinator => match access.coordinators_read_notes(&device.school_id)? {
                true => Self::by([device.school_id]),
                false => Self::none(),
            },
            Role::DistrictAdmin => Self::by(access.schools_sharing_notes()?),
        })
    }

    /// Whether `device`'s own school shares notes with its coordinators (what the phone is told),
    /// where `self` is [`NotesSharing::for_device`]'s answer for it: a coordinator's or an
    /// administrator's set already holds its school; only an educator's (empty) set needs a query.
    pub fn own_school_shares(&self, access: &dyn AccessStore, device: &Device) -> Result<bool, AccessError> {
        match device.role {
            Role::Educator(_) => access.coordinators_read_notes(&device.school_id),
            Role::SchoolCoordinator | Role::DistrictAdmin => Ok(self.shares(device.school_id)),
        }
    }
}

/// One device's sync policy: [`permission`] for that device and the schools' notes settings. The
/// session asks it before offering or applying anything (`relay_docs`, over the relay's records).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DevicePolicy<'a> {
    pub device: &'a Device,
    /// Which schools share notes with their coordinators (as far as this device needs).
    pub notes: &'a NotesSharing,
}

impl DevicePolicy<'_> {
    /// What the device may do with a document of `kind` whose scope is `scope`.
    pub fn permission(&self, kind: DocKind, scope: &Scope) -> Permission {
        permission(self.device, kind, scope, self.notes)
    }
}

/// What `device` may do with a document of `kind` whose school and educators are `scope`; `notes`
/// says which schools share notes with their coordinators.
pub fn permission(device: &Device, kind: DocKind, scope: &Scope, notes: &NotesSharing) -> Permission {
    if kind == DocKind::PromptPack {
        // A school's pack (its scope names the school) is read by that school's devices only.
        return match device.role {
            Role::DistrictAdmin => Permission::ReadWrite,
            _ if scope.school.is_some_and(|s| s != device.school_id) => Permission::None,
            Role::Educator(_) | Role::SchoolCoordinator => Permission::Read,
        };
    }
    // Unscoped (no school): nobody's.
    let Some(school) = scope.school else { return Permission::None };
    let (coordinator, on_visit) = match device.role {
        _ if school != device.school_id && device.role != Role::DistrictAdmin => return Permission::None,
        Role::Educator(me) => (false, scope.educators.contains(&me)),
        Role::SchoolCoordinator | Role::DistrictAdmin => (true, false),
    };
    match kind {
        DocKind::School | DocKind::Educator => {
            if coordinator {
                Permission::ReadWrite
            } else {
                Permission::Read
            }
        }
        DocKind::Family => Permission::ReadWrite,
        DocKind::VisitLog if on_visit => Permission::ReadWrite,
        DocKind::VisitLog if coordinator => Permission::Read,
        DocKind::VisitNotes if on_visit => Permission::ReadWrite,
        DocKind::VisitNotes if coordinator && notes.shares(school) => Permission::Read,
        _ => Permission::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::{None as No, Read as R, ReadWrite as RW};
    use homevisit_model::EducatorId;

    fn device(school: SchoolId, role: Role) -> Device {
        let device_id = homevisit_sync::DeviceId::parse("00000000-0000-4000-8000-00000000000d").unwrap();
        Device { device_id, school_id: school, role }
    }

    #[test]
    fn the_access_matrix() {
        let (school, other_school) = (SchoolId::new(), SchoolId::new());
        let (on, off) = (EducatorId::new(), EducatorId::new());
        let visit = Scope { school: Some(school), educators: vec![on, EducatorId::new()], ..Scope::default() };
        let roster = Scope { school: Some(school), ..Scope::default() };
        let elsewhere = Scope { school: Some(other_school), educators: vec![on], ..Scope::default() };
        let unscoped = Scope::default();
        let on_visit = device(school, Role::Educator(on));
        let colleague = device(school, Role::Educator(off));
        let coordinator = device(school, Role::SchoolCoordinator);
        let far_coordinator = device(other_school, Role::SchoolCoordinator);
        let admin = device(school, Role::DistrictAdmin);
        let far_admin = device(other_school, Role::DistrictAdmin);
        let pack = DocKind::PromptPack;
        // Which schools share notes: none, the visit's school, only the other school.
        let (none, shared, other_shares) =
            (NotesSharing::none(), NotesSharing::by([school]), NotesSharing::by([other_school]));

        // (device, kind, scope, notes sharing) -> expected
        let cases = [
            (&on_visit, DocKind::VisitLog, &visit, &none, RW),
            (&on_visit, DocKind::VisitNotes, &visit, &none, RW),
            (&colleague, DocKind::VisitLog, &visit, &none, No),
            (&colleague, DocKind::VisitNotes, &visit, &shared, No),
            (&coordinator, DocKind::VisitLog, &visit, &none, R),
            (&coordinator, DocKind::VisitNotes, &visit, &none, No),
            (&coordinator, DocKind::VisitNotes, &visit, &shared, R),
            (&coordinator, DocKind::VisitNotes, &visit, &other_shares, No),
            (&far_coordinator, DocKind::VisitLog, &visit, &shared, No),
            (&far_coordinator, DocKind::VisitNotes, &visit, &shared, No),
            (&on_visit, DocKind::VisitLog, &elsewhere, &none, No),
            (&on_visit, DocKind::Family, &roster, &none, RW),
            (&colleague, DocKind::Family, &roster, &none, RW),
            (&far_coordinator, DocKind::Family, &roster, &none, No),
            (&on_visit, DocKind::School, &roster, &none, R),
            (&coordinator, DocKind::School, &roster, &none, RW),
            (&colleague, DocKind::Educator, &roster, &none, R),
            (&coordinator, DocKind::Educator, &roster, &none, RW),
            (&far_coordinator, DocKind::Educator, &roster, &none, No),
            // Unscoped (no school): nobody's but the packs'.
            (&coordinator, DocKind::Family, &unscoped, &none, No),
            (&admin, DocKind::VisitLog, &unscoped, &shared, No),
            (&far_admin, DocKind::Family, &unscoped, &shared, No),
            // Prompt packs: the district administrator's, wherever it is enrolled; read by all.
            (&on_visit, pack, &unscoped, &none, R),
            (&coordinator, pack, &unscoped, &none, R),
            (&far_coordinator, pack, &unscoped, &none, R),
            (&admin, pack, &unscoped, &none, RW),
            (&far_admin, pack, &unscoped, &none, RW),
            // A school's pack: read by its school's devices, by no other school's; any district
            // administrator writes it.
            (&on_visit, pack, &roster, &none, R),
            (&coordinator, pack, &roster, &none, R),
            (&far_coordinator, pack, &roster, &none, No),
            (&admin, pack, &roster, &none, RW),
            (&far_admin, pack, &roster, &none, RW),
            // Everything else: a district administrator is the coordinator of every school,
            // whichever it was enrolled in: logs; notes only by the visit's school's policy.
            (&admin, DocKind::VisitLog, &visit, &none, R),
            (&admin, DocKind::VisitNotes, &visit, &none, No),
            (&admin, DocKind::VisitNotes, &visit, &shared, R),
            (&admin, DocKind::School, &roster, &none, RW),
            (&admin, DocKind::Educator, &roster, &none, RW),
            (&admin, DocKind::Family, &roster, &none, RW),
            (&far_admin, DocKind::VisitLog, &visit, &none, R),
            (&far_admin, DocKind::VisitNotes, &visit, &none, No),
            (&far_admin, DocKind::VisitNotes, &visit, &other_shares, No),
            (&far_admin, DocKind::VisitNotes, &visit, &shared, R),
            (&far_admin, DocKind::Family, &roster, &none, RW),
            (&far_admin, DocKind::School, &roster, &none, RW),
            (&far_admin, DocKind::Educator, &roster, &none, RW),
            (&admin, DocKind::VisitLog, &elsewhere, &none, R),
        ];
        for (i, (d, kind, scope, notes, expected)) in cases.into_iter().enumerate() {
            assert_eq!(permission(d, kind, scope, notes), expected, "case {i}: {} {kind:?}", d.role);
        }
        // Coordinators and administrators write no visit, whoever is on it.
        for d in [&coordinator, &admin, &far_admin] {
            for kind in [DocKind::VisitLog, DocKind::VisitNotes] {
                assert_ne!(permission(d, kind, &visit, &shared), RW);
            }
        }
    }

    #[test]
    fn a_school_coordinator_reaches_nothing_of_another_school() {
        let (a, b) = (SchoolId::new(), SchoolId::new());
        let coordinator_of_a = device(a, Role::SchoolCoordinator);
        let educator_of_a = device(a, Role::Educator(EducatorId::new()));
        let in_b = [
            Scope { school: Some(b), ..Scope::default() },
            Scope { school: Some(b), educators: vec![EducatorId::new()], ..Scope::default() },
        ];
        // Even told (wrongly) that school B shares its notes.
        let sharing = [NotesSharing::none(), NotesSharing::by([a]), NotesSharing::by([a, b])];
        let kinds = [DocKind::School, DocKind::Educator, DocKind::Family, DocKind::VisitLog, DocKind::VisitNotes];
        for d in [&coordinator_of_a, &educator_of_a] {
            for kind in kinds {
                for scope in &in_b {
                    for notes in &sharing {
                        assert_eq!(permission(d, kind, scope, notes), No, "{} {kind:?}", d.role);
                    }
                }
            }
        }
    }
}
