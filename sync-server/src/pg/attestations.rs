//! The relay's records of attested fields and family declines in PostgreSQL (`attest`,
//! `consent`), written in the request's transaction; the same rows as the embedded relay's.

use std::collections::HashMap;

use crate::pg::statements::Sql;
use homevisit_model::{EducatorId, FamilyId, VisitId};

use crate::attest::{Attestation, Attested, Effect, relay_now, source_name};

/// Every recorded value of `visit`'s attested fields, oldest first.
pub(crate) fn attestations(tx: &mut impl Sql, visit: VisitId) -> Result<Vec<Attestation>, postgres::Error> {
    let rows = tx.query(
        "SELECT what, educator_id, device_id, at FROM visit_attestations WHERE visit_id = $1 ORDER BY seq",
        &[&visit.to_string()],
    )?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Attestation {
                visit,
                what: Attested::parse(r.get::<_, &str>(0))?,
                educator: r.get::<_, Option<String>>(1).and_then(|e| e.parse().ok()),
                device: r.get(2),
                at: r.get(3),
            })
        })
        .collect())
}

/// The latest recorded value of each attested field of a visit, or `None` if none is recorded.
pub(crate) type Latest = Option<[Option<EducatorId>; 3]>;

/// [`Latest`] for `visit`.
pub(crate) fn attested(tx: &mut impl Sql, visit: VisitId) -> Result<Latest, postgres::Error> {
    Ok(attested_among(tx, &[visit])?.remove(&visit).flatten())
}

/// [`Latest`] for each of `visits`, in one query.
pub(crate) fn attested_among(
    tx: &mut impl Sql,
    visits: &[VisitId],
) -> Result<HashMap<VisitId, Latest>, postgres::Error> {
    let ids: Vec<String> = visits.iter().map(|v| v.to_string()).collect();
    // A join with the ids, not `visit_id = ANY($1)`: under a generic plan (a prepared statement
    // run many times) a table the planner thinks small (new, not analyzed yet: a district's first
    // uploads) is scanned whole with each row compared to every id, which grows with the table
    // times the ids (W1 on PostgreSQL: 13 ms of the upload's database time, for no rows). A join
    // looks each id up in the index, or hashes the ids.
    let rows = tx.query(
        "SELECT a.visit_id, a.what, a.educator_id FROM unnest($1::text[]) AS u(id)
         JOIN visit_attestations a ON a.visit_id = u.id ORDER BY a.seq",
        &[&ids],
    )?;
    let mut recorded: HashMap<VisitId, Vec<(Attested, Option<EducatorId>)>> = HashMap::new();
    for r in &rows {
        let (Ok(visit), Some(what)) = (r.get::<_, &str>(0).parse(), Attested::parse(r.get::<_, &str>(1))) else {
            continue;
        };
        let educator = r.get::<_, Option<String>>(2).and_then(|e| e.parse().ok());
        recorded.entry(visit).or_default().push((what, educator));
    }
    Ok(visits
        .iter()
        .map(|visit| {
            let latest = recorded.get(visit).map(|rows| {
                Attested::ALL.map(|what| rows.iter().rev().find(|(w, _)| *w == what).and_then(|(_, e)| *e))
            });
            (*visit, latest)
        })
        .collect())
}

/// Each of `families`' declined visits no coordinator has lifted (every family is in the answer,
/// most with none), in one query.
pub(crate) fn open_declines_among(
    tx: &mut impl Sql,
    families: &[FamilyId],
) -> Result<HashMap<FamilyId, Vec<VisitId>>, postgres::Error> {
    let ids: Vec<String> = families.iter().map(|f| f.to_string()).collect();
    let rows = tx.query(
        // Joined with the ids, for the reason in `attested_among`.
        "SELECT d.family_id, d.visit_id FROM unnest($1::text[]) AS u(id)
         JOIN family_declines d ON d.family_id = u.id WHERE d.lifted_at IS NULL
         ORDER BY d.family_id, d.visit_id",
        &[&ids],
    )?;
    let mut open: HashMap<FamilyId, Vec<VisitId>> = families.iter().map(|f| (*f, Vec::new())).collect();
    for row in &rows {
        let (Ok(family), Ok(visit)) = (row.get::<_, &str>(0).parse(), row.get::<_, &str>(1).parse()) else { continue };
        open.entry(family).or_default().push(visit);
    }
    Ok(open)
}

/// An attested value as its row of `visit_attestations`: visit, field, educator, device (or
/// source), time.
pub(crate) type AttestationRow = (String, String, Option<String>, String, String);

/// The row recording an attested value (see [`record_effect`]), or `None` for other effects.
pub(crate) fn attestation_row(effect: &Effect, device: &str) -> Option<AttestationRow> {
    let Effect::Attest { visit, what, educator, source } = effect else { return None };
    Some((
        visit.to_string(),
        what.as_str().to_string(),
        educator.map(|e| e.to_string()),
        source_name(*source, device).to_string(),
        relay_now(),
    ))
}

/// Records what an accepted change attests or declines, by `device`, at the relay's time.
pub(crate) fn record_effect(tx: &mut impl Sql, effect: &Effect, device: &str) -> Result<(), postgres::Error> {
    let now = relay_now();
    match effect {
        Effect::Attest { .. } => {
            let (visit, what, educator, device, at) = attestation_row(effect, device).expect("an attestation");
            tx.execute(
                "INSERT INTO visit_attestations (visit_id, what, educator_id, device_id, at) VALUES ($1, $2, $3, $4, $5)",
                &[&visit, &what, &educator, &device, &at],
            )?;
        }
        Effect::Decline { family, visit } => {
            tx.execute(
                "INSERT INTO family_declines (family_id, visit_id, device_id, declined_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&family.to_string(), &visit.to_string(), &device, &now],
            )?;
        }
        Effect::Lift { family, visits } => {
            for visit in visits {
                tx.execute(
                    "UPDATE family_declines SET lifted_at = $3, lifted_by = $4
                     WHERE family_id = $1 AND visit_id = $2 AND lifted_at IS NULL",
                    &[&family.to_string(), &visit.to_string(), &now, &device],
                )?;
            }
        }
    }
    Ok(())
}
