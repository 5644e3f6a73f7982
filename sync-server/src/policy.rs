//! Who may read and write which document. Decided here, on the relay, from the relay's own query
//! tables and the device's enrollment: never from inside a document, where a client could edit it.
//!
//! | document | educator on the visit | other educator, same school | coordinator, same school | other school |
//! | --- | --- | --- | --- | --- |
//! | visit log | read + write | none | read | none |
//! | visit notes | read + write | none | read if the school's policy shares notes, else none | none |
//! | family | read + write | read + write | read + write | none |
//! | school, educator | read | read | read + write | none |
//! | prompt pack | read | read | read + write | read (coordinators: write) |

use homevisit_docs::DocKind;
use homevisit_docs::Scope;
use homevisit_sync::Access as Permission;

use crate::Device;

pub const ROLE_EDUCATOR: &str = "educator";
pub const ROLE_COORDINATOR: &str = "coordinator";

/// What `device` may do with a document of `kind` whose school and educators are `scope`.
pub fn permission(device: &Device, kind: DocKind, scope: &Scope, coordinators_read_notes: bool) -> Permission {
    let coordinator = device.role == ROLE_COORDINATOR;
    if kind == DocKind::PromptPack {
        return if coordinator { Permission::ReadWrite } else { Permission::Read };
    }
    let same_school = scope.school.is_some_and(|s| s.to_string() == device.school_id);
    if !same_school {
        return Permission::None;
    }
    let on_visit = device.educator_id.as_deref().is_some_and(|me| scope.educators.iter().any(|e| e.to_string() == me));
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

    fn device(role: &str, school: SchoolId, educator: Option<EducatorId>) -> Device {
        Device {
            device_id: "d".into(),
            school_id: school.to_string(),
            role: role.into(),
            educator_id: educator.map(|e| e.to_string()),
        }
    }

    #[test]
    fn the_access_matrix() {
        let (school, other_school) = (SchoolId::new(), SchoolId::new());
        let (on, off) = (EducatorId::new(), EducatorId::new());
        let visit = Scope { school: Some(school), educators: vec![on, EducatorId::new()], ..Scope::default() };
        let roster = Scope { school: Some(school), ..Scope::default() };
        let elsewhere = Scope { school: Some(other_school), educators: vec![on], ..Scope::default() };
        let on_visit = device(ROLE_EDUCATOR, school, Some(on));
        let colleague = device(ROLE_EDUCATOR, school, Some(off));
        let coordinator = device(ROLE_COORDINATOR, school, None);
        let far_coordinator = device(ROLE_COORDINATOR, other_school, None);

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
            (&on_visit, DocKind::PromptPack, &Scope::default(), false, R),
            (&far_coordinator, DocKind::PromptPack, &Scope::default(), false, RW),
        ];
        for (i, (d, kind, scope, shared, expected)) in cases.into_iter().enumerate() {
            assert_eq!(permission(d, kind, scope, shared), expected, "case {i}: {} {kind:?}", d.role);
        }
    }
}
