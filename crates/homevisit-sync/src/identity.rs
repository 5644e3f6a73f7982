//! Who a device is, as its relay said at enrollment: its role, its school and, for an educator's
//! phone, the educator. For the app to show and to pick its screens; access is decided on the
//! relay from its own records, never from this.

use homevisit_model::{EducatorId, SchoolId};

/// What a device was enrolled as (the relay's roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceRole {
    /// An educator's phone: their visits, their school's roster.
    Educator,
    /// A school's coordinator: the school's visit logs (notes by the school's policy).
    SchoolCoordinator,
    /// The district's administrator: every school's logs, the prompt packs.
    DistrictAdmin,
}

impl DeviceRole {
    /// The role's name on the wire and in the store (the relay's `role` column).
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceRole::Educator => "educator",
            DeviceRole::SchoolCoordinator => "coordinator",
            DeviceRole::DistrictAdmin => "district_admin",
        }
    }

    /// The role named `s`; `None` for a name this version does not know.
    pub fn parse(s: &str) -> Option<DeviceRole> {
        [DeviceRole::Educator, DeviceRole::SchoolCoordinator, DeviceRole::DistrictAdmin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Who this device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub role: DeviceRole,
    /// The school it was enrolled in (a district administrator covers every school).
    pub school_id: SchoolId,
    /// For an educator's phone, the educator; `None` for every other role.
    pub educator_id: Option<EducatorId>,
}

impl Identity {
    /// The identity from its three texts, as the relay's enrollment answer or the store holds
    /// them. `None` unless they make one whole identity: a role this version knows, a school id,
    /// and an educator id exactly when the role is an educator's (an older relay sends none of
    /// them; a newer one may name a role this app does not know: the device still enrolls, and
    /// does not claim to know who it is).
    pub fn from_parts(role: Option<&str>, school_id: Option<&str>, educator_id: Option<&str>) -> Option<Identity> {
        let role = DeviceRole::parse(role?)?;
        let school_id = school_id?.parse().ok()?;
        let educator_id = match (role, educator_id) {
            (DeviceRole::Educator, Some(e)) => Some(e.parse().ok()?),
            (DeviceRole::Educator, None) | (_, Some(_)) => return None,
            (_, None) => None,
        };
        Some(Identity { role, school_id, educator_id })
    }
}

/// The store setting that keeps what the relay last said about the device's school sharing notes
/// with its coordinators (`true` / `false`; absent until a sync with a relay that says).
const SETTING_SCHOOL_SHARES_NOTES: &str = "school_shares_notes";

/// Keeps what the relay said about the device's school sharing visit notes with its coordinators
/// (`None` forgets it: a new enrollment, a sign-out).
pub fn save_school_shares_notes(
    store: &mut homevisit_store::Store,
    shares: Option<bool>,
) -> homevisit_store::Result<()> {
    store.set_setting(SETTING_SCHOOL_SHARES_NOTES, shares.map(|s| if s { "true" } else { "false" }))
}

/// Whether the device's school shares visit notes with its coordinators, as the relay said at the
/// last sync; `None` before one (or with a relay too old to say). Shown in settings, never used to
/// decide access.
pub fn school_shares_notes(store: &homevisit_store::Store) -> homevisit_store::Result<Option<bool>> {
    Ok(match store.setting(SETTING_SCHOOL_SHARES_NOTES)?.as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_whole_or_none() {
        let (s, e) = (SchoolId::new(), EducatorId::new());
        let (st, et) = (s.to_string(), e.to_string());
        let whole = |r, sc: Option<&str>, ed: Option<&str>| Identity::from_parts(r, sc, ed);
        assert_eq!(
            whole(Some("educator"), Some(&st), Some(&et)),
            Some(Identity { role: DeviceRole::Educator, school_id: s, educator_id: Some(e) })
        );
        assert_eq!(
            whole(Some("district_admin"), Some(&st), None),
            Some(Identity { role: DeviceRole::DistrictAdmin, school_id: s, educator_id: None })
        );
        assert_eq!(whole(Some("coordinator"), Some(&st), None).unwrap().role, DeviceRole::SchoolCoordinator);
        // An older relay says nothing; a newer one may name a role this version does not know.
        assert_eq!(whole(None, None, None), None);
        assert_eq!(whole(Some("superintendent"), Some(&st), None), None);
        assert_eq!(whole(Some("educator"), Some(&st), None), None, "an educator without an id");
        assert_eq!(whole(Some("coordinator"), Some(&st), Some(&et)), None, "a coordinator naming one");
        assert_eq!(whole(Some("educator"), Some("school-1"), Some(&et)), None);
        assert_eq!(whole(Some("coordinator"), None, None), None);
        for r in [DeviceRole::Educator, DeviceRole::SchoolCoordinator, DeviceRole::DistrictAdmin] {
            assert_eq!(DeviceRole::parse(r.as_str()), Some(r));
        }
    }
}
