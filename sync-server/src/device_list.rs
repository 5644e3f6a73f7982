//! `homevisit-relay devices`: every device, grouped by the person it belongs to, so a lost phone is
//! found by its owner's id and its last-seen time. Ids and times only, never a name: an educator's
//! devices are grouped by educator id; a coordinator's by the school (a coordinator has no id of
//! its own); district administrators' under their role; an enrollment that does not parse under
//! "invalid", with why, so it can still be revoked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use homevisit_model::{EducatorId, SchoolId};

use crate::access::{DeviceRecord, RecordError, Role};

/// Whose a device is, as far as the relay knows: the key its devices are grouped under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Person {
    Educator { educator: EducatorId, school: SchoolId },
    Coordinator { school: SchoolId },
    DistrictAdmin,
    Invalid(String),
}

impl Person {
    pub fn of(record: &DeviceRecord) -> Person {
        match &record.enrollment {
            Ok((school, Role::Educator(educator))) => Person::Educator { educator: *educator, school: *school },
            Ok((school, Role::SchoolCoordinator)) => Person::Coordinator { school: *school },
            Ok((_, Role::DistrictAdmin)) => Person::DistrictAdmin,
            Err(e) => Person::Invalid(invalid(e)),
        }
    }

    fn label(&self) -> String {
        match self {
            Person::Educator { educator, school } => format!("{} {educator} (school {school})", Role::EDUCATOR),
            Person::Coordinator { school } => format!("{} of school {school}", Role::COORDINATOR),
            Person::DistrictAdmin => format!("{} (every school)", Role::DISTRICT_ADMIN),
            Person::Invalid(why) => format!("invalid enrollment ({why})"),
        }
    }
}

fn invalid(e: &RecordError) -> String {
    e.to_string()
}

/// The devices grouped by person (educators by id, then coordinators by school, then district
/// administrators, then invalid rows), each person's devices oldest first.
pub fn by_person(devices: &[DeviceRecord]) -> BTreeMap<Person, Vec<&DeviceRecord>> {
    let mut groups: BTreeMap<Person, Vec<&DeviceRecord>> = BTreeMap::new();
    for d in devices {
        groups.entry(Person::of(d)).or_default().push(d);
    }
    for list in groups.values_mut() {
        list.sort_by(|a, b| (a.enrolled_at, a.device_id.as_str()).cmp(&(b.enrolled_at, b.device_id.as_str())));
    }
    groups
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The listing as `homevisit-relay devices` prints it: a line per person, then its devices
/// (indented) with enrolled, last-seen and revoked times (UTC; `-`: never).
pub fn table(devices: &[DeviceRecord]) -> String {
    let mut out = format!("  {:<36}  {:<20}  {:<20}  {}\n", "DEVICE", "ENROLLED", "LAST SEEN", "REVOKED");
    for (person, list) in by_person(devices) {
        let n = list.len();
        out.push_str(&format!("{} - {n} device{}\n", person.label(), if n == 1 { "" } else { "s" }));
        for d in list {
            out.push_str(&format!(
                "  {:<36}  {:<20}  {:<20}  {}\n",
                d.device_id,
                time(Some(d.enrolled_at)),
                time(d.last_seen_at),
                time(d.revoked_at)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_sync::DeviceId;

    fn record(n: u8, enrollment: Result<(SchoolId, Role), RecordError>, at: i64) -> DeviceRecord {
        DeviceRecord {
            device_id: DeviceId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02x}")).unwrap(),
            enrollment,
            enrolled_at: DateTime::from_timestamp_millis(at).unwrap(),
            last_seen_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn devices_are_grouped_by_person_ids_only() {
        let (school, other) = (SchoolId::new(), SchoolId::new());
        let (rivera, okafor) = (EducatorId::new(), EducatorId::new());
        let devices = vec![
            record(1, Ok((school, Role::Educator(rivera))), 3_000),
            record(2, Ok((school, Role::SchoolCoordinator)), 1_000),
            record(3, Ok((school, Role::Educator(okafor))), 2_000),
            record(4, Ok((school, Role::Educator(rivera))), 1_000), // her old phone
            record(5, Ok((other, Role::SchoolCoordinator)), 1_000),
            record(6, Ok((school, Role::DistrictAdmin)), 1_000),
            record(7, Ok((other, Role::DistrictAdmin)), 500),
            record(8, Err(RecordError::UnknownRole("boss".into())), 1_000),
        ];
        let groups = by_person(&devices);
        let ids = |p: &Person| groups[p].iter().map(|d| d.device_id.as_str()[34..].to_string()).collect::<Vec<_>>();
        assert_eq!(groups.len(), 6, "two educators, two schools' coordinators, the admins, an invalid row");
        // Her two phones together, the older first: the lost one is easy to tell apart.
        assert_eq!(ids(&Person::Educator { educator: rivera, school }), ["04", "01"]);
        assert_eq!(ids(&Person::Educator { educator: okafor, school }), ["03"]);
        assert_eq!(ids(&Person::Coordinator { school }), ["02"]);
        assert_eq!(ids(&Person::Coordinator { school: other }), ["05"]);
        assert_eq!(ids(&Person::DistrictAdmin), ["07", "06"]);

        let table = table(&devices);
        // A person line, then its devices, every device listed once.
        assert_eq!(table.lines().count(), 1 + 6 + devices.len(), "{table}");
        let rivera_line = table.lines().position(|l| l.contains(&rivera.to_string())).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[rivera_line].ends_with("2 devices"), "{table}");
        assert!(lines[rivera_line + 1].trim_start().starts_with(devices[3].device_id.as_str()), "{table}");
        assert!(lines[rivera_line + 2].trim_start().starts_with(devices[0].device_id.as_str()), "{table}");
        assert!(table.contains("invalid enrollment (unknown role `boss`)"), "{table}");
    }
}
