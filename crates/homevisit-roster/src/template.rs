//! homevisit's CSV template for districts without a student information system (columns in the
//! crate README; an example in `examples/template/`).

use std::collections::{BTreeMap, BTreeSet};

use homevisit_model::validate::{validate_educator, validate_school};
use homevisit_model::{Day, Educator, EducatorRole, Family, Grade, Language, School, Student};

use crate::errors::{Errors, Reason};
use crate::table::Table;
use crate::{Format, Roster, ids, parse_bool};

const F: Format = Format::Template;

pub(crate) fn build(tables: &BTreeMap<&'static str, Table>, errors: &mut Errors) -> Roster {
    let mut roster = Roster::default();
    let (Some(schools), Some(staff), Some(families), Some(students)) =
        (tables.get("schools.csv"), tables.get("staff.csv"), tables.get("families.csv"), tables.get("students.csv"))
    else {
        return roster;
    };
    let ok = [
        schools.require(&["school_id", "name"], errors),
        staff.require(&["staff_id", "school_id", "name", "role"], errors),
        families.require(&["family_id", "school_id", "name"], errors),
        students.require(&["student_id", "family_id", "first_name", "grade"], errors),
    ];
    if ok.contains(&false) {
        return roster;
    }

    let mut school_ids = BTreeSet::new();
    for row in &schools.rows {
        let id = schools.get(row, "school_id");
        if id.is_empty() {
            errors.push(schools.error(row, Some("school_id"), Reason::Empty));
            continue;
        }
        if !school_ids.insert(id) {
            errors.push(schools.error(row, Some("school_id"), Reason::DuplicateId));
            continue;
        }
        let school = School { id: ids::school_id(F, id), name: schools.get(row, "name").to_string() };
        match validate_school(&school) {
            Ok(()) => roster.schools.push(school),
            Err(e) => errors.push(schools.error(row, Some("name"), Reason::Invalid(e))),
        }
    }

    // Staff: one row per staff member and school (the same staff_id on two rows: two schools).
    let mut staff_seen = BTreeSet::new();
    for row in &staff.rows {
        let (id, school) = (staff.get(row, "staff_id"), staff.get(row, "school_id"));
        if id.is_empty() {
            errors.push(staff.error(row, Some("staff_id"), Reason::Empty));
            continue;
        }
        if !school_ids.contains(school) {
            errors.push(staff.error(
                row,
                Some("school_id"),
                Reason::UnknownReference { what: "school in schools.csv" },
            ));
            continue;
        }
        if !staff_seen.insert((id, school)) {
            errors.push(staff.error(row, Some("staff_id"), Reason::DuplicateId));
            continue;
        }
        let role_text = staff.get(row, "role");
        let Some(role) = EducatorRole::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(role_text)) else {
            errors.push(staff.error(row, Some("role"), Reason::BadValue { expected: "a homevisit educator role" }));
            continue;
        };
        let training_date = match staff.get(row, "training_date") {
            "" => None,
            d => match Day::parse(d) {
                Some(d) => Some(d),
                None => {
                    errors.push(staff.error(
                        row,
                        Some("training_date"),
                        Reason::BadValue { expected: "a date YYYY-MM-DD" },
                    ));
                    continue;
                }
            },
        };
        let educator = Educator {
            id: ids::educator_id(F, id, school),
            school_id: ids::school_id(F, school),
            display_name: staff.get(row, "name").to_string(),
            role,
            training_date,
        };
        match validate_educator(&educator) {
            Ok(()) => roster.educators.push(educator),
            Err(e) => errors.push(staff.error(row, Some("name"), Reason::Invalid(e))),
        }
    }

    // Students by family, in student_id order.
    let mut by_family: BTreeMap<&str, BTreeMap<&str, Student>> = BTreeMap::new();
    let family_ids: BTreeSet<&str> = families.rows.iter().map(|r| families.get(r, "family_id")).collect();
    let mut student_ids = BTreeSet::new();
    for row in &students.rows {
        let (id, family) = (students.get(row, "student_id"), students.get(row, "family_id"));
        if id.is_empty() {
            errors.push(students.error(row, Some("student_id"), Reason::Empty));
            continue;
        }
        if !student_ids.insert(id) {
            errors.push(students.error(row, Some("student_id"), Reason::DuplicateId));
            continue;
        }
        if !family_ids.contains(family) || family.is_empty() {
            errors.push(students.error(
                row,
                Some("family_id"),
                Reason::UnknownReference { what: "family in families.csv" },
            ));
            continue;
        }
        let first_name = students.get(row, "first_name");
        if first_name.is_empty() {
            errors.push(students.error(row, Some("first_name"), Reason::Empty));
            continue;
        }
        let Some(grade) = Grade::parse(students.get(row, "grade")) else {
            errors.push(students.error(row, Some("grade"), Reason::BadValue { expected: "a grade PK, K or 1 to 12" }));
            continue;
        };
        let classes: BTreeSet<&str> =
            students.get(row, "class").split(';').map(str::trim).filter(|c| !c.is_empty()).collect();
        let student = Student {
            first_name: first_name.to_string(),
            grade,
            classes: classes.into_iter().map(str::to_string).collect(),
        };
        by_family.entry(family).or_default().insert(id, student);
    }

    let mut family_seen = BTreeSet::new();
    for row in &families.rows {
        let (id, school) = (families.get(row, "family_id"), families.get(row, "school_id"));
        if id.is_empty() {
            errors.push(families.error(row, Some("family_id"), Reason::Empty));
            continue;
        }
        if !family_seen.insert(id) {
            errors.push(families.error(row, Some("family_id"), Reason::DuplicateId));
            continue;
        }
        if !school_ids.contains(school) {
            errors.push(families.error(
                row,
                Some("school_id"),
                Reason::UnknownReference { what: "school in schools.csv" },
            ));
            continue;
        }
        let preferred_language = match families.get(row, "language") {
            "" => Language::english(),
            l => match Language::parse(l) {
                Some(l) => l,
                None => {
                    errors.push(families.error(
                        row,
                        Some("language"),
                        Reason::BadValue { expected: "a BCP 47 language tag" },
                    ));
                    continue;
                }
            },
        };
        let Ok(interpreter_needed) = parse_bool(families.get(row, "interpreter_needed")) else {
            errors.push(families.error(
                row,
                Some("interpreter_needed"),
                Reason::BadValue { expected: "true or false" },
            ));
            continue;
        };
        let family = Family {
            id: ids::family_id(F, id, school),
            school_id: ids::school_id(F, school),
            display_name: families.get(row, "name").to_string(),
            preferred_language,
            interpreter_needed: interpreter_needed.unwrap_or(false),
            contact: None,
            students: by_family.remove(id).map(|s| s.into_values().collect()).unwrap_or_default(),
            agreement_renewed: None,
        };
        match crate::check_family(&family) {
            Ok(()) => roster.families.push(family),
            Err(e) => errors.push(families.error(row, None, Reason::Invalid(e))),
        }
    }
    roster
}
