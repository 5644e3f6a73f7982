//! Port of the JS peer's seeded form generator (`lib/form.mjs`) and of how Automerge 3 JS stores
//! such a form: `Automerge.from(form)` in one change, every string as a collaborative Text object
//! (Automerge 3's default for plain strings), keys in the JS object's insertion order.

use automerge::{
    Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc,
    transaction::{CommitOptions, Transactable, Transaction},
};

/// The peer's `mulberry32`: 32-bit arithmetic exactly as JavaScript's `Math.imul` and `>>>`.
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
const SCHOOLS: &[&str] = &[
    "Lincoln Elementary",
    "Roosevelt Middle",
    "Cesar Chavez Academy",
    "Maple Grove K-8",
    "Eastside Elementary",
    "Riverside Charter",
    "Hillcrest Elementary",
    "Jefferson Middle",
];

/// `makeText`: exactly `len` characters of words (sentence-cased, trailing period).
fn make_text(rng: &mut Mulberry32, len: usize) -> String {
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

/// One form as ordered (key, value) pairs, mirroring the JS object literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub id: String,
    pub visit_date: String,
    pub school: String,
    pub educators: [String; 2],
    pub family: String,
    pub location: String,
    /// hopesAndDreams, invitation, expectation
    pub notes: [(&'static str, String); 3],
    /// learned, assumptionsChanged, nextSteps
    pub reflection: [(&'static str, String); 3],
}

/// `makeDebrief(i, seed)`.
pub fn make_debrief(i: u32, seed: u32) -> Form {
    let mut rng = Mulberry32::new(((u64::from(seed) * 1_000_003 + u64::from(i)) % (1 << 32)) as u32);
    let days = (rng.next_f64() * 270.0).floor() as i64;
    let secs = (rng.next_f64() * 10.0 * 3600.0).floor() as i64;
    // Date.UTC(2024, 8, 1) = 2024-09-01T00:00:00Z
    let epoch_ms = 1_725_148_800_000i64 + days * 86_400_000 + secs * 1000 + 8 * 3_600_000;
    let visit_date = iso_utc_ms(epoch_ms);
    let school = rng.pick(SCHOOLS).to_string();
    let name = |rng: &mut Mulberry32| format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let educators = [name(&mut rng), name(&mut rng)];
    let family = format!("{} family", rng.pick(LAST));
    let location = if rng.next_f64() < 0.7 { "home" } else { "neutral" }.to_string();
    let notes = [
        ("hopesAndDreams", make_text(&mut rng, 600)),
        ("invitation", make_text(&mut rng, 100)),
        ("expectation", make_text(&mut rng, 100)),
    ];
    let reflection = [
        ("learned", make_text(&mut rng, 300)),
        ("assumptionsChanged", make_text(&mut rng, 200)),
        ("nextSteps", make_text(&mut rng, 150)),
    ];
    Form { id: format!("visit-{i:06}"), visit_date, school, educators, family, location, notes, reflection }
}

impl Form {
    /// `JSON.stringify(makeDebrief(i))`, used to compare this port with the JS generator.
    pub fn to_json(&self) -> serde_json::Value {
        let obj = |pairs: &[(&str, String)]| {
            serde_json::Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone().into())).collect())
        };
        serde_json::json!({
            "id": self.id, "visitDate": self.visit_date, "school": self.school,
            "educators": self.educators, "family": self.family, "location": self.location,
            "notes": obj(&self.notes), "reflection": obj(&self.reflection),
        })
    }

    /// The document `Automerge.from(form)` makes: one change, strings as Text.
    pub fn to_doc(&self) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact_with::<_, _, AutomergeError, _>(
            |_| now_commit(),
            |tx| {
                put_text(tx, &ROOT, "id", &self.id)?;
                put_text(tx, &ROOT, "visitDate", &self.visit_date)?;
                put_text(tx, &ROOT, "school", &self.school)?;
                let eds = tx.put_object(ROOT, "educators", ObjType::List)?;
                for (k, e) in self.educators.iter().enumerate() {
                    let t = tx.insert_object(&eds, k, ObjType::Text)?;
                    tx.splice_text(&t, 0, 0, e)?;
                }
                put_text(tx, &ROOT, "family", &self.family)?;
                put_text(tx, &ROOT, "location", &self.location)?;
                for (key, fields) in [("notes", &self.notes), ("reflection", &self.reflection)] {
                    let m = tx.put_object(ROOT, key, ObjType::Map)?;
                    for (k, v) in fields.iter() {
                        put_text(tx, &m, k, v)?;
                    }
                }
                Ok(())
            },
        )
        .expect("building a form document cannot fail");
        doc
    }

    /// Whether `doc` holds exactly this form (every field read back as text).
    pub fn matches(&self, doc: &Automerge) -> bool {
        let text = |obj: &ObjId, key: &str| -> Option<String> {
            let (_, id) = doc.get(obj, key).ok()??;
            doc.text(&id).ok()
        };
        let map = |key: &str| -> Option<ObjId> { doc.get(ROOT, key).ok()?.map(|(_, id)| id) };
        let educators = map("educators").and_then(|l| {
            (0..doc.length(&l))
                .map(|k| doc.get(&l, k).ok().flatten().and_then(|(_, t)| doc.text(&t).ok()))
                .collect::<Option<Vec<String>>>()
        });
        let fields_ok = |key: &str, fields: &[(&str, String)]| {
            map(key).is_some_and(|m| fields.iter().all(|(k, v)| text(&m, k).as_deref() == Some(v.as_str())))
        };
        text(&ROOT, "id").as_deref() == Some(self.id.as_str())
            && text(&ROOT, "visitDate").as_deref() == Some(self.visit_date.as_str())
            && text(&ROOT, "school").as_deref() == Some(self.school.as_str())
            && educators.as_deref() == Some(&self.educators[..])
            && text(&ROOT, "family").as_deref() == Some(self.family.as_str())
            && text(&ROOT, "location").as_deref() == Some(self.location.as_str())
            && fields_ok("notes", &self.notes)
            && fields_ok("reflection", &self.reflection)
    }
}

/// Automerge JS stamps every change with the current time in whole seconds (`Automerge.change`'s
/// default); automerge-rs would write 0. Same stamp here so changes have the same size.
pub fn now_commit() -> CommitOptions {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    CommitOptions::default().with_time(secs as i64)
}

fn put_text(tx: &mut Transaction<'_>, obj: &ObjId, key: &str, s: &str) -> Result<(), AutomergeError> {
    let t = tx.put_object(obj, key, ObjType::Text)?;
    tx.splice_text(&t, 0, 0, s)
}

/// The id of `notes.hopesAndDreams` (the text W2 edits).
pub fn hopes_text(doc: &Automerge) -> Option<ObjId> {
    let (_, notes) = doc.get(ROOT, "notes").ok()??;
    let (_, text) = doc.get(&notes, "hopesAndDreams").ok()??;
    Some(text)
}

/// `new Date(ms).toISOString()` (UTC, milliseconds, `Z`).
pub fn iso_utc_ms(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_js() {
        assert_eq!(iso_utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc_ms(1_725_148_800_000), "2024-09-01T00:00:00.000Z");
        assert_eq!(iso_utc_ms(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
    }

    #[test]
    fn doc_round_trips_the_form() {
        let f = make_debrief(3, 42);
        let doc = f.to_doc();
        assert!(f.matches(&doc));
        assert_eq!(doc.get_heads().len(), 1, "one change, like Automerge.from");
        assert!(!make_debrief(4, 42).matches(&doc));
        assert_eq!(doc.length(&hopes_text(&doc).unwrap()), 600);
    }
}
