//! Port of the peer's deterministic debrief-form generator (`lib/form.mjs`): same seed, same
//! content, byte for byte (checked against the peer's own output in `tests/golden/`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use homevisit_model::*;
use serde::Serialize;

use crate::{DataSet, stable_uuid};

/// The peer's `mulberry32` PRNG: 32-bit arithmetic exactly as JavaScript's `Math.imul` and `>>>`.
pub struct Mulberry32(u32);

impl Mulberry32 {
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6d2b_79f5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next_f64() * items.len() as f64).floor() as usize]
    }
}

const WORDS: &str = "the family shared that their child loves reading and drawing with older cousins \
we talked about school routines homework time weekend soccer games and church \
mother hopes her daughter will become a nurse and father wants him to feel safe \
they want teachers to call with good news not only problems grandmother cooks \
dinner while parents work late shifts the kids help with younger siblings every \
evening we learned the family moved here three years ago from another state and \
speak spanish at home they felt nervous about the first parent conference but \
trust the new principal our assumption that they were not interested was wrong \
next we will invite them to the literacy night and send a text in their language \
celebrate progress in math practice multiplication facts at the kitchen table \
library card music lessons garden bus schedule community center after school club";

const FIRST: &[&str] = &[
    "Ana", "Ben", "Carla", "Dmitri", "Esi", "Farah", "Gabe", "Hana", "Ivan", "Jalen", "Keiko", "Luis", "Maya", "Nadia",
    "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Johnson", "Tanaka", "Martinez", "Brown", "Patel",
    "Silva", "Kim", "Lopez", "Ivanova", "Mensah",
];
pub const SCHOOLS: &[&str] = &[
    "Lincoln Elementary",
    "Roosevelt Middle",
    "Cesar Chavez Academy",
    "Maple Grove K-8",
    "Eastside Elementary",
    "Riverside Charter",
    "Hillcrest Elementary",
    "Jefferson Middle",
];

/// Text of exactly `len` characters made of words (sentence-cased, trailing period).
pub fn make_text(rng: &mut Mulberry32, len: usize) -> String {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut s = String::new();
    let mut start_sentence = true;
    while s.len() < len {
        let w = rng.pick(&words);
        if !s.is_empty() {
            s.push(' ');
        }
        if start_sentence {
            let mut c = w.chars();
            s.extend(c.next().map(|f| f.to_ascii_uppercase()));
            s.push_str(c.as_str());
            start_sentence = false;
        } else {
            s.push_str(w);
        }
        if rng.next_f64() < 0.08 {
            s.push('.');
            start_sentence = true;
        }
    }
    s.truncate(len - 1);
    let mut s = s.trim_end().to_string();
    while s.len() < len - 1 {
        s.push('x');
    }
    s.push('.');
    s
}

/// One debrief form, field for field as the peer makes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Form {
    pub id: String,
    #[serde(serialize_with = "iso")]
    pub visit_date: DateTime<Utc>,
    pub school: String,
    pub educators: [String; 2],
    pub family: String,
    pub location: String,
    pub notes: FormNotes,
    pub reflection: FormReflection,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormNotes {
    pub hopes_and_dreams: String,
    pub invitation: String,
    pub expectation: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormReflection {
    pub learned: String,
    pub assumptions_changed: String,
    pub next_steps: String,
}

fn iso<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The peer's `makeDebrief(i, seed)`.
pub fn make_debrief(i: u32, seed: u32) -> Form {
    let mut rng = Mulberry32::new(((u64::from(seed) * 1_000_003 + u64::from(i)) % (1 << 32)) as u32);
    let start = Utc.with_ymd_and_hms(2024, 9, 1, 0, 0, 0).unwrap();
    let days = (rng.next_f64() * 270.0).floor() as i64;
    let secs = (rng.next_f64() * 10.0 * 3600.0).floor() as i64;
    let visit_date = start + Duration::days(days) + Duration::seconds(secs) + Duration::hours(8);
    let school = rng.pick(SCHOOLS).to_string();
    let name = |rng: &mut Mulberry32| format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let educators = [name(&mut rng), name(&mut rng)];
    let family = format!("{} family", rng.pick(LAST));
    let location = if rng.next_f64() < 0.7 { "home" } else { "neutral" }.to_string();
    let notes = FormNotes {
        hopes_and_dreams: make_text(&mut rng, 600),
        invitation: make_text(&mut rng, 100),
        expectation: make_text(&mut rng, 100),
    };
    let reflection = FormReflection {
        learned: make_text(&mut rng, 300),
        assumptions_changed: make_text(&mut rng, 200),
        next_steps: make_text(&mut rng, 150),
    };
    Form { id: format!("visit-{i:06}"), visit_date, school, educators, family, location, notes, reflection }
}

/// The peer's default seed.
pub const PEER_SEED: u32 = 42;

/// `n` forms mapped onto homevisit's model: one school per form school, one (trained) educator
/// per distinct educator name, one family per form, and per form a visit log plus its notes.
pub fn data_set(n: u32) -> DataSet {
    let forms: Vec<Form> = (0..n).map(|i| make_debrief(i, PEER_SEED)).collect();
    let schools: Vec<School> = SCHOOLS
        .iter()
        .map(|name| School { id: SchoolId(stable_uuid(&format!("school/{name}"))), name: name.to_string() })
        .collect();
    let school_id = |name: &str| schools.iter().find(|s| s.name == name).expect("known school").id;

    let mut educators: Vec<Educator> = Vec::new();
    let educator_id = |name: &str, school: SchoolId, educators: &mut Vec<Educator>| -> EducatorId {
        if let Some(e) = educators.iter().find(|e| e.display_name == name) {
            return e.id;
        }
        let e = Educator {
            id: EducatorId(stable_uuid(&format!("educator/{name}"))),
            school_id: school,
            display_name: name.to_string(),
            role: EducatorRole::Teacher,
            training_date: Day::parse("2024-06-15"),
        };
        educators.push(e.clone());
        e.id
    };

    let mut families = Vec::with_capacity(forms.len());
    let mut visits = Vec::with_capacity(forms.len());
    for f in &forms {
        let school = school_id(&f.school);
        let first = educator_id(&f.educators[0], school, &mut educators);
        // The generator can pair a name with itself; a visit needs two different people.
        let second_name =
            if f.educators[1] == f.educators[0] { format!("{} Jr", f.educators[1]) } else { f.educators[1].clone() };
        let second = educator_id(&second_name, school, &mut educators);
        let family = Family {
            id: FamilyId(stable_uuid(&format!("family/{}", f.id))),
            school_id: school,
            display_name: f.family.clone(),
            preferred_language: Language::english(),
            interpreter_needed: false,
            contact: None,
            students: vec![],
            agreement_renewed: None,
        };
        let start = Timestamp(f.visit_date);
        let plan = VisitPlan {
            id: VisitId(stable_uuid(&format!("visit/{}", f.id))),
            family_id: family.id,
            school_id: school,
            visit_number: VisitNumber::First,
            educator_ids: vec![first, second],
            interpreter: None,
            place: if f.location == "home" {
                Place::Home
            } else {
                Place::Neutral { description: "community center".into() }
            },
            scheduled_at: start,
            family_agreement: Some(FamilyAgreement { agreed_at: start, recorded_by: first }),
            expected_end: None,
        };
        let outcome = VisitOutcome {
            status: VisitStatus::Completed,
            started_at: Some(start),
            ended_at: Some(Timestamp(f.visit_date + Duration::minutes(40))),
            recorded_by: Some(first),
            partner_confirmation: Some(PartnerConfirmation { educator_id: second, confirmed_at: start }),
            coordinator_confirmation: None,
        };
        let notes = VisitNotes {
            hopes_and_dreams: f.notes.hopes_and_dreams.clone(),
            invitation: f.notes.invitation.clone(),
            family_expectations: f.notes.expectation.clone(),
            learned: f.reflection.learned.clone(),
            assumptions_changed: f.reflection.assumptions_changed.clone(),
            next_steps: f.reflection.next_steps.clone(),
            ..VisitNotes::default()
        };
        families.push(family);
        visits.push((VisitLog { plan, outcome }, notes));
    }
    DataSet { schools, educators, families, visits }
}
