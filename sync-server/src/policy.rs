//! Who may read and write which document. Decided here, on the relay, from the relay's own query
//! tables and the device's enrollment: never from inside a document, where a client could edit it.
//!
//! | document | educator on the visit | other educator, same school | coordinator, same school | other school |
//! | --- | --- | --- | --- | --- |
//! | visit log | read + write | none | read | none |
//! | visit notes | read + write | none | read if the school's policy shares notes, else none | none |
//! | family | read + write | read + write | read + write | none |
//! | school, educator | read | read | read + write | none |
//! | prompt pack (the district's) | read | read | read | read |
//! | prompt pack (a school's) | read | read | read | none |
//!
//! Prompt packs are the district's: only a district administrator's device writes them (read +
//! write), the district's pack and every school's alike; everyone else reads the district's packs
//! and their own school's. For every other
//! document a district administrator is what a coordinator of the school it is enrolled in is.

use homevisit_docs::DocKind;
use homevisit_docs::Scope;
use homevisit_sync::Access as Permission;

use crate::access::{Device, Role};

/// One device's sync policy: [`permission`] for that device and its school's setting. The
/// session asks it before offering or applying anything (`relay_docs`, over the relay's records).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DevicePolicy<'a> {
    pub device: &'a Device,
    /// Whether the device's school shares notes with its coordinators.
    pub coordinators_read_notes: bool,
}

impl DevicePolicy<'_> {
    /// What the device may do with a document of `kind` whose scope is `scope`.
    pub fn permission(&self, kind: DocKind, scope: &Scope) -> Permission {
        permission(self.device, kind, scope, self.coordinators_read_notes)
    }
}

/// What `device` may do with a document of `kind` whose school and educators are `scope`.
pub fn permission(device: &Device, kind: DocKind, scope: &Scope, coordinators_read_notes: bool) -> Permission {
    if kind == DocKind::PromptPack {
        // A school's pack (its scope names the school) is read by that school's devices only.
        return match device.role {
            Role::DistrictAdmin => Permission::ReadWrite,
            _ if scope.school.is_some_and(|s| s != device.school_id) => Permission::None,
            Role::Educator(_) | Role::SchoolCoordinator => Permission::Read,
        };
    }
    if scope.school != Some(device.school_id) {
        return Permission::None;
    }
    let (coordinator, on_visit) = match device.role {
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
        DocKind::VisitNotes if coordinator && coordinators_read_notes => Permission::Read,
        _ => Permission::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::{None as No, Read as R, ReadWrite as RW};
    use homevisit_model::{EducatorId, SchoolId};

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

        // (device, kind, scope, notes shared?) -> expected
        let cases = [
            (&on_visit, DocKind::VisitLog, &visit, false, RW),
            (&on_visit, DocKind::VisitNotes, &visit, false, RW),
            (&colleague, DocKind::VisitLog, &visit, false, No),
            (&colleague, DocKind::VisitNotes, &visit, true, No),
            (&coordinator, DocKind::VisitLog, &visit, false, R),
            (&coordinator, DocKind::VisitNotes, &visit, false, No),
            (&coordinator, DocKind::VisitNotes, &visit, true, R),
            (&far_coordinator, DocKind::VisitLog, &visit, true, No),
            (&far_coordinator, DocKind::VisitNotes, &visit, true, No),
            (&on_visit, DocKind::VisitLog, &elsewhere, false, No),
            (&on_visit, DocKind::Family, &roster, false, RW),
            (&colleague, DocKind::Family, &roster, false, RW),
            (&far_coordinator, DocKind::Family, &roster, false, No),
            (&on_visit, DocKind::School, &roster, false, R),
            (&coordinator, DocKind::School, &roster, false, RW),
            (&colleague, DocKind::Educator, &roster, false, R),
            (&coordinator, DocKind::Educator, &roster, false, RW),
            (&far_coordinator, DocKind::Educator, &roster, false, No),
            // Unscoped (no school): nobody's but the packs'.
            (&coordinator, DocKind::Family, &unscoped, false, No),
            (&admin, DocKind::VisitLog, &unscoped, true, No),
            // Prompt packs: the district administrator's, wherever it is enrolled; read by all.
            (&on_visit, pack, &unscoped, false, R),
            (&coordinator, pack, &unscoped, false, R),
            (&far_coordinator, pack, &unscoped, false, R),
            (&admin, pack, &unscoped, false, RW),
            (&far_admin, pack, &unscoped, false, RW),
            // A school's pack: read by its school's devices, by no other school's; any district
            // administrator writes it.
            (&on_visit, pack, &roster, false, R),
            (&coordinator, pack, &roster, false, R),
            (&far_coordinator, pack, &roster, false, No),
            (&admin, pack, &roster, false, RW),
            (&far_admin, pack, &roster, false, RW),
            // Everything else: a district administrator is a coordinator of its school.
            (&admin, DocKind::VisitLog, &visit, false, R),
            (&admin, DocKind::VisitNotes, &visit, false, No),
            (&admin, DocKind::VisitNotes, &visit, true, R),
            (&admin, DocKind::School, &roster, false, RW),
            (&admin, DocKind::Educator, &roster, false, RW),
            (&admin, DocKind::Family, &roster, false, RW),
            (&far_admin, DocKind::VisitLog, &visit, true, No),
            (&far_admin, DocKind::Family, &roster, false, No),
            (&far_admin, DocKind::School, &roster, false, No),
        ];
        for (i, (d, kind, scope, shared, expected)) in cases.into_iter().enumerate() {
            assert_eq!(permission(d, kind, scope, shared), expected, "case {i}: {} {kind:?}", d.role);
        }
        // Coordinators and administrators write no visit, whoever is on it.
        for d in [&coordinator, &admin] {
            for kind in [DocKind::VisitLog, DocKind::VisitNotes] {
                assert_ne!(permission(d, kind, &visit, true), RW);
            }
        }
    }
}
