//! OneRoster 1.1/1.2 CSV: `orgs.csv` (schools), `users.csv` (staff, students, guardians),
//! optionally `roles.csv` (1.2: a user's roles per org), `classes.csv` and `enrollments.csv`
//! (which students and teachers are in which classes and schools). Only what the model needs is
//! read; `demographics.csv` is never opened.

use std::collections::{BTreeMap, BTreeSet};

use homevisit_model::validate::{validate_educator, validate_school};
use homevisit_model::{Day, Educator, EducatorRole, Family, Grade, Language, School, Student};

use crate::errors::{Errors, Reason};
use crate::table::{Row, Table, list};
use crate::{Format, Roster, ids, parse_bool};

const F: Format = Format::OneRoster;

/// Extension columns (OneRoster's `metadata.*`) homevisit reads, on a guardian's or a student's row.
pub const LANGUAGE: &str = "metadata.homevisit.language";
pub const INTERPRETER: &str = "metadata.homevisit.interpreterNeeded";
/// On a staff member's row.
pub const TRAINING_DATE: &str = "metadata.homevisit.trainingDate";
pub const ROLE: &str = "metadata.homevisit.role";

/// What a OneRoster role makes of a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Staff(EducatorRole),
    Student,
    Guardian,
    /// A role homevisit has no use for (`proctor`, vendor `ext:` roles): the row is skipped.
    Ignored,
}

fn kind_of(role: &str) -> Option<Kind> {
    Some(match role.trim().to_ascii_lowercase().as_str() {
        "teacher" => Kind::Staff(EducatorRole::Teacher),
        "aide" => Kind::Staff(EducatorRole::Paraprofessional),
        "counselor" => Kind::Staff(EducatorRole::Counselor),
        "administrator" | "principal" | "siteadministrator" | "districtadministrator" => {
            Kind::Staff(EducatorRole::Administrator)
        }
        "systemadministrator" => Kind::Staff(EducatorRole::OtherStaff),
        "student" => Kind::Student,
        "parent" | "guardian" | "relative" => Kind::Guardian,
        "proctor" => Kind::Ignored,
        r if r.starts_with("ext:") => Kind::Ignored,
        _ => return None,
    })
}

/// OneRoster grade codes (CEDS: `PK`, `TK`, `KG`, `01`..`12`), and the model's own forms.
fn grade(code: &str) -> Option<Grade> {
    match code.trim().to_ascii_uppercase().as_str() {
        "KG" => Some(Grade::K),
        "TK" | "PR" | "PS" => Some(Grade::PreK),
        other => Grade::parse(other),
    }
}

/// One user row, as read.
struct User<'r> {
    row: &'r Row,
    kind: Kind,
    /// Orgs in the order listed (users.csv, then roles.csv).
    orgs: Vec<&'r str>,
    agents: Vec<&'r str>,
}

pub(crate) fn build<'a>(tables: &'a BTreeMap<&'static str, Table>, errors: &mut Errors) -> Roster {
    let mut roster = Roster::default();
    let (Some(orgs), Some(users)) = (tables.get("orgs.csv"), tables.get("users.csv")) else {
        return roster;
    };
    let roles = tables.get("roles.csv");
    let ok_orgs = orgs.require(&["sourcedId", "name", "type"], errors);
    let mut user_cols = vec!["sourcedId", "givenName"];
    if roles.is_none() {
        user_cols.extend(["role", "orgSourcedIds"]);
    }
    let ok_users = users.require(&user_cols, errors);
    let ok_roles = roles.is_none_or(|r| r.require(&["userSourcedId", "role", "orgSourcedId"], errors));
    let classes = tables.get("classes.csv");
    let enrollments = tables.get("enrollments.csv");
    let ok_classes = classes.is_none_or(|c| c.require(&["sourcedId", "title"], errors));
    let ok_enrollments = enrollments.is_none_or(|e| e.require(&["classSourcedId", "userSourcedId", "role"], errors));
    if !(ok_orgs && ok_users && ok_roles && ok_classes && ok_enrollments) {
        return roster;
    }

    // Schools (orgs of type school); other orgs (district, department) are known, not schools.
    let mut all_orgs = BTreeSet::new();
    let mut schools: BTreeMap<&'a str, &'a Row> = BTreeMap::new();
    for row in &orgs.rows {
        let id = orgs.get(row, "sourcedId");
        if id.is_empty() {
            errors.push(orgs.error(row, Some("sourcedId"), Reason::Empty));
            continue;
        }
        if !all_orgs.insert(id) {
            errors.push(orgs.error(row, Some("sourcedId"), Reason::DuplicateId));
            continue;
        }
        if orgs.get(row, "type").eq_ignore_ascii_case("school") {
            let school = School { id: ids::school_id(F, id), name: orgs.get(row, "name").to_string() };
            match validate_school(&school) {
                Ok(()) => {
                    schools.insert(id, row);
                    roster.schools.push(school);
                }
                Err(e) => errors.push(orgs.error(row, Some("name"), Reason::Invalid(e))),
            }
        }
    }
    let known_org = |id: &str| all_orgs.contains(id) || orgs.deleted.contains(id);

    // Users, by sourcedId.
    let mut by_id: BTreeMap<&'a str, User<'a>> = BTreeMap::new();
    for row in &users.rows {
        let id = users.get(row, "sourcedId");
        if id.is_empty() {
            errors.push(users.error(row, Some("sourcedId"), Reason::Empty));
            continue;
        }
        let role = users.get(row, "role");
        let kind = if role.is_empty() && roles.is_some() {
            // 1.2: the role is in roles.csv (filled in below).
            Kind::Ignored
        } else {
            match kind_of(role) {
                Some(k) => k,
                None => {
                    errors.push(users.error(row, Some("role"), Reason::BadValue { expected: "a OneRoster role" }));
                    continue;
                }
            }
        };
        let mut orgs_listed = Vec::new();
        for org in list(users.get(row, "orgSourcedIds")).chain(list(users.get(row, "primaryOrgSourcedId"))) {
            if !known_org(org) {
                errors.push(users.error(
                    row,
                    Some("orgSourcedIds"),
                    Reason::UnknownReference { what: "org in orgs.csv" },
                ));
            } else if !orgs_listed.contains(&org) {
                orgs_listed.push(org);
            }
        }
        let user = User { row, kind, orgs: orgs_listed, agents: list(users.get(row, "agentSourcedIds")).collect() };
        if by_id.insert(id, user).is_some() {
            errors.push(users.error(row, Some("sourcedId"), Reason::DuplicateId));
        }
    }
    let known_user = |id: &str, by_id: &BTreeMap<&str, User<'_>>| by_id.contains_key(id) || users.deleted.contains(id);

    // roles.csv (1.2): a user's role at each org; the primary role decides what the user is.
    if let Some(roles) = roles {
        let mut chosen: BTreeMap<&str, (bool, Kind)> = BTreeMap::new();
        for row in &roles.rows {
            let user = roles.get(row, "userSourcedId");
            if !known_user(user, &by_id) {
                errors.push(roles.error(
                    row,
                    Some("userSourcedId"),
                    Reason::UnknownReference { what: "user in users.csv" },
                ));
                continue;
            }
            let Some(kind) = kind_of(roles.get(row, "role")) else {
                errors.push(roles.error(row, Some("role"), Reason::BadValue { expected: "a OneRoster role" }));
                continue;
            };
            let org = roles.get(row, "orgSourcedId");
            if !known_org(org) {
                errors.push(roles.error(
                    row,
                    Some("orgSourcedId"),
                    Reason::UnknownReference { what: "org in orgs.csv" },
                ));
                continue;
            }
            let Some(u) = by_id.get_mut(user) else { continue };
            if !u.orgs.contains(&org) {
                u.orgs.push(org);
            }
            let primary = roles.get(row, "roleType").eq_ignore_ascii_case("primary");
            let entry = chosen.entry(user).or_insert((primary, kind));
            if primary && !entry.0 {
                *entry = (true, kind);
            }
        }
        for (user, (_, kind)) in chosen {
            if let Some(u) = by_id.get_mut(user)
                && users.get(u.row, "role").is_empty()
            {
                u.kind = kind;
            }
        }
    }

    // Classes and enrollments: class titles per student, and schools per user.
    let mut class_titles: BTreeMap<&str, &str> = BTreeMap::new();
    let mut class_school: BTreeMap<&str, &str> = BTreeMap::new();
    if let Some(classes) = classes {
        for row in &classes.rows {
            let id = classes.get(row, "sourcedId");
            let title = classes.get(row, "title");
            if id.is_empty() || title.is_empty() {
                let col = if id.is_empty() { "sourcedId" } else { "title" };
                errors.push(classes.error(row, Some(col), Reason::Empty));
                continue;
            }
            if class_titles.insert(id, title).is_some() {
                errors.push(classes.error(row, Some("sourcedId"), Reason::DuplicateId));
            }
            let school = classes.get(row, "schoolSourcedId");
            if !school.is_empty() {
                if known_org(school) {
                    class_school.insert(id, school);
                } else {
                    errors.push(classes.error(
                        row,
                        Some("schoolSourcedId"),
                        Reason::UnknownReference { what: "org in orgs.csv" },
                    ));
                }
            }
        }
    }
    let mut student_classes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut enrolled_schools: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
    if let Some(enrollments) = enrollments {
        let class_deleted = |id: &str| classes.is_some_and(|c| c.deleted.contains(id));
        for row in &enrollments.rows {
            let (class, user) = (enrollments.get(row, "classSourcedId"), enrollments.get(row, "userSourcedId"));
            if users.deleted.contains(user) || class_deleted(class) {
                continue;
            }
            if !by_id.contains_key(user) {
                errors.push(enrollments.error(
                    row,
                    Some("userSourcedId"),
                    Reason::UnknownReference { what: "user in users.csv" },
                ));
                continue;
            }
            let Some(title) = class_titles.get(class) else {
                errors.push(enrollments.error(
                    row,
                    Some("classSourcedId"),
                    Reason::UnknownReference { what: "class in classes.csv" },
                ));
                continue;
            };
            let school = match enrollments.get(row, "schoolSourcedId") {
                "" => class_school.get(class).copied(),
                s if known_org(s) => Some(s),
                _ => {
                    errors.push(enrollments.error(
                        row,
                        Some("schoolSourcedId"),
                        Reason::UnknownReference { what: "org in orgs.csv" },
                    ));
                    continue;
                }
            };
            if let Some(s) = school {
                let list = enrolled_schools.entry(user).or_default();
                if !list.contains(&s) {
                    list.push(s);
                }
            }
            if enrollments.get(row, "role").eq_ignore_ascii_case("student") {
                student_classes.entry(user).or_default().insert(title);
            }
        }
    }
    // A user's schools: orgs that are schools, then schools of their enrollments.
    let schools_of = |id: &str, u: &User<'a>| schools_of(id, u, &schools, &enrolled_schools);

    // Staff: one educator record per school.
    for (id, u) in &by_id {
        let Kind::Staff(mut role) = u.kind else { continue };
        let row = u.row;
        match users.get(row, ROLE) {
            "" => {}
            r => match EducatorRole::ALL.into_iter().find(|x| x.as_str().eq_ignore_ascii_case(r)) {
                Some(x) => role = x,
                None => {
                    errors.push(users.error(
                        row,
                        Some(ROLE),
                        Reason::BadValue { expected: "a homevisit educator role" },
                    ));
                    continue;
                }
            },
        }
        let training_date = match users.get(row, TRAINING_DATE) {
            "" => None,
            d => match Day::parse(d) {
                Some(d) => Some(d),
                None => {
                    errors.push(users.error(
                        row,
                        Some(TRAINING_DATE),
                        Reason::BadValue { expected: "a date YYYY-MM-DD" },
                    ));
                    continue;
                }
            },
        };
        let display_name = full_name(users, row);
        for school in schools_of(id, u) {
            let educator = Educator {
                id: ids::educator_id(F, id, school),
                school_id: ids::school_id(F, school),
                display_name: display_name.clone(),
                role,
                training_date,
            };
            match validate_educator(&educator) {
                Ok(()) => roster.educators.push(educator),
                Err(e) => {
                    errors.push(users.error(row, Some("givenName"), Reason::Invalid(e)));
                    break;
                }
            }
        }
    }

    // Students, and who their guardians are (either side may list the other in agentSourcedIds).
    let mut students: BTreeMap<&str, (Student, &str)> = BTreeMap::new();
    for (id, u) in &by_id {
        if u.kind != Kind::Student {
            continue;
        }
        let row = u.row;
        let first_name = match users.get(row, "preferredGivenName") {
            "" => users.get(row, "givenName"),
            p => p,
        };
        if first_name.is_empty() {
            errors.push(users.error(row, Some("givenName"), Reason::Empty));
            continue;
        }
        let Some(grade) = list(users.get(row, "grades")).next().and_then(grade) else {
            errors.push(users.error(row, Some("grades"), Reason::BadValue { expected: "a grade PK to 12" }));
            continue;
        };
        let Some(&school) = schools_of(id, u).first() else {
            errors.push(users.error(row, Some("orgSourcedIds"), Reason::UnknownReference { what: "school" }));
            continue;
        };
        let classes = student_classes.get(id).map(|c| c.iter().map(|t| t.to_string()).collect()).unwrap_or_default();
        students.insert(id, (Student { first_name: first_name.to_string(), grade, classes }, school));
    }
    let mut guardians_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, u) in &by_id {
        for agent in &u.agents {
            let pair = match (u.kind, by_id.get(agent).map(|a| a.kind)) {
                (Kind::Guardian, Some(Kind::Student)) => Some((*agent, *id)),
                (Kind::Student, Some(Kind::Guardian)) => Some((*id, *agent)),
                (_, Some(_)) => None,
                (_, None) if users.deleted.contains(*agent) => None,
                (_, None) => {
                    errors.push(users.error(
                        u.row,
                        Some("agentSourcedIds"),
                        Reason::UnknownReference { what: "user in users.csv" },
                    ));
                    None
                }
            };
            if let Some((student, guardian)) = pair {
                guardians_of.entry(student).or_default().insert(guardian);
            }
        }
    }

    // Families: students who share a guardian (transitively) at one school; a student with no
    // guardian row is a family alone. Keyed by the family's first guardian (sourcedId order).
    let mut parent: BTreeMap<&str, &str> = students.keys().map(|s| (*s, *s)).collect();
    /// The set's root (its least id), shortening the path on the way (so a crafted file of one
    /// guardian and many students stays linear).
    fn root<'a>(parent: &mut BTreeMap<&'a str, &'a str>, x: &'a str) -> &'a str {
        let mut r = x;
        while let Some(&p) = parent.get(r) {
            if p == r {
                break;
            }
            r = p;
        }
        let mut y = x;
        while y != r {
            let Some(next) = parent.insert(y, r) else { break };
            y = next;
        }
        r
    }
    let mut first_student_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (student, guardians) in &guardians_of {
        if !students.contains_key(student) {
            continue;
        }
        for g in guardians {
            match first_student_of.get(g) {
                None => {
                    first_student_of.insert(g, student);
                }
                Some(other) => {
                    let (a, b) = (root(&mut parent, student), root(&mut parent, other));
                    if a != b {
                        let (low, high) = if a < b { (a, b) } else { (b, a) };
                        parent.insert(high, low);
                    }
                }
            }
        }
    }
    // Group: (component root, school) -> students.
    let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (id, (_, school)) in &students {
        groups.entry((root(&mut parent, id), school)).or_default().push(id);
    }
    for ((_, school), members) in groups {
        let guardians: BTreeSet<&str> =
            members.iter().flat_map(|m| guardians_of.get(m).into_iter().flatten().copied()).collect();
        let key = guardians.first().copied().unwrap_or(members[0]);
        let key_row = by_id.get(key).map(|u| u.row);
        // The family's name: its first guardian's family name, else its first student's.
        let surname = guardians
            .iter()
            .chain(members.iter())
            .filter_map(|u| by_id.get(u))
            .map(|u| users.get(u.row, "familyName"))
            .find(|n| !n.is_empty());
        let display_name = match surname {
            Some(n) => format!("{n} family"),
            None => format!("{} family", students[members[0]].0.first_name),
        };
        // Language and interpreter: from the guardians' rows, else the students'.
        let rows: Vec<&Row> =
            guardians.iter().chain(members.iter()).filter_map(|u| by_id.get(u)).map(|u| u.row).collect();
        let mut bad = false;
        let mut preferred_language = None;
        let mut interpreter_needed = None;
        for row in &rows {
            let lang = users.get(row, LANGUAGE);
            if !lang.is_empty() {
                match Language::parse(lang) {
                    Some(l) => {
                        preferred_language.get_or_insert(l);
                    }
                    None => {
                        errors.push(users.error(
                            row,
                            Some(LANGUAGE),
                            Reason::BadValue { expected: "a BCP 47 language tag" },
                        ));
                        bad = true;
                    }
                }
            }
            match parse_bool(users.get(row, INTERPRETER)) {
                Ok(Some(b)) => {
                    interpreter_needed.get_or_insert(b);
                }
                Ok(None) => {}
                Err(()) => {
                    errors.push(users.error(row, Some(INTERPRETER), Reason::BadValue { expected: "true or false" }));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        let family = Family {
            id: ids::family_id(F, key, school),
            school_id: ids::school_id(F, school),
            display_name,
            preferred_language: preferred_language.unwrap_or_else(Language::english),
            interpreter_needed: interpreter_needed.unwrap_or(false),
            contact: None,
            students: members.iter().map(|m| students[m].0.clone()).collect(),
            agreement_renewed: None,
        };
        if let Err(e) = crate::check_family(&family) {
            let row = key_row.unwrap_or(by_id[members[0]].row);
            errors.push(users.error(row, None, Reason::Invalid(e)));
            continue;
        }
        roster.families.push(family);
    }
    roster
}

/// A user's schools: orgs that are schools, then schools of their enrollments.
fn schools_of<'a>(
    id: &str,
    u: &User<'a>,
    schools: &BTreeMap<&'a str, &'a Row>,
    enrolled: &BTreeMap<&'a str, Vec<&'a str>>,
) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = u.orgs.iter().copied().filter(|o| schools.contains_key(o)).collect();
    for s in enrolled.get(id).into_iter().flatten() {
        if schools.contains_key(s) && !out.contains(s) {
            out.push(s);
        }
    }
    out
}

/// "Given Family" (preferred names when the file has them).
fn full_name(users: &Table, row: &Row) -> String {
    let pick = |preferred: &str, plain: &str| match users.get(row, preferred) {
        "" => users.get(row, plain).to_string(),
        p => p.to_string(),
    };
    let (given, family) = (pick("preferredGivenName", "givenName"), pick("preferredFamilyName", "familyName"));
    format!("{given} {family}").trim().to_string()
}
