//! Human-readable output. Everything also has a `--json` form for scripts.

use std::collections::HashMap;

use chrono::Local;
use chrono::NaiveDate;
use homevisit_model::{Day, EducatorId, NoteField, Timestamp, VisitLog, VisitNotes};
use homevisit_reports::participation::{EducatorVisits, educator_visits};
use homevisit_reports::summary::{SchoolSummary, school_summaries};
use homevisit_reports::{Period, ReportData};
use homevisit_store::VisitSummary;
use serde::Serialize;

pub fn local(t: Timestamp) -> String {
    t.0.with_timezone(&Local).format("%a %Y-%m-%d %H:%M").to_string()
}

pub fn visits(list: &[VisitSummary], names: &HashMap<EducatorId, String>) {
    if list.is_empty() {
        println!("  (no visits)");
    }
    for v in list {
        let educators: Vec<&str> =
            v.educator_ids.iter().map(|id| names.get(id).map(String::as_str).unwrap_or("?")).collect();
        println!(
            "  {}  {:<18} visit {}  {:<8} {:<16} {}{}  [{}]",
            local(v.scheduled_at),
            v.family_name.as_deref().unwrap_or("(family not synced)"),
            v.visit_number.number(),
            v.place_kind,
            v.status.as_str(),
            educators.join(" + "),
            if v.interpreter { " + interpreter" } else { "" },
            v.visit_id,
        );
    }
}

pub fn visit(log: &VisitLog, notes: &VisitNotes, names: &HashMap<EducatorId, String>) {
    let p = &log.plan;
    let o = &log.outcome;
    let name = |id: &EducatorId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    println!("visit {}  (visit {} of 2)", p.id, p.visit_number.number());
    println!("  when:      {}", local(p.scheduled_at));
    println!(
        "  where:     {}",
        match &p.place {
            homevisit_model::Place::Neutral { description } => format!("neutral: {description}"),
            other => other.kind().to_string(),
        }
    );
    println!("  educators: {}", p.educator_ids.iter().map(name).collect::<Vec<_>>().join(" + "));
    if let Some(i) = &p.interpreter {
        println!("  interpreter: {} ({:?})", i.language, i.kind);
    }
    println!(
        "  family agreed: {}",
        p.family_agreement.as_ref().map(|a| local(a.agreed_at)).unwrap_or_else(|| "not yet".into())
    );
    println!("  status:    {}", o.status.as_str());
    if let (Some(s), Some(e)) = (o.started_at, o.ended_at) {
        println!("  time:      {} to {} ({} min)", local(s), local(e), log.duration_minutes().unwrap_or(0));
    }
    match &o.partner_confirmation {
        Some(c) => println!("  confirmed by partner: {} at {}", name(&c.educator_id), local(c.confirmed_at)),
        None => println!("  confirmed by partner: no"),
    }
    println!("  documented for stipend: {}", if log.is_documented() { "yes" } else { "no" });
    match &notes.debrief_done {
        Some(d) => println!("  debrief done: by {} at {}", name(&d.by), local(d.at)),
        None => println!("  debrief done: no"),
    }
    for field in NoteField::ALL {
        let text = notes.field(field);
        if !text.is_empty() {
            println!("  {:<21} {}", format!("{}:", field.key()), text);
        }
    }
}

/// What `report` shows: per school, then per educator, over the days `from` to `to`.
#[derive(Serialize)]
pub struct Report {
    pub from: Day,
    pub to: Day,
    pub schools: Vec<SchoolSummary>,
    pub educators: Vec<EducatorVisits>,
}

impl Report {
    /// The report over `from` to `to` (both included) in this machine's time zone.
    pub fn of(data: &ReportData, from: NaiveDate, to: NaiveDate) -> Result<Report, String> {
        let period = Period::try_days(Day(from), Day(to), *Local::now().offset())
            .ok_or_else(|| format!("{from} to {to} is not a span of days on the calendar"))?;
        Ok(Report {
            from: Day(from),
            to: Day(to),
            schools: school_summaries(data, &period),
            educators: educator_visits(data, &period),
        })
    }
}

pub fn report(r: &Report) {
    let meets = |m: bool| if m { "meets" } else { "below" };
    println!("Reach per school, {} to {} (research threshold: 10% of students visited; staff: 50%)", r.from, r.to);
    for s in &r.schools {
        println!(
            "  {:<22} students {:>4}/{:<4} ({:>5.1}%, {})  staff {:>3}/{:<3} ({:>5.1}%, {})  families {:>4}: first visit {:>4}, second {:>4}",
            s.school_name,
            s.students.part,
            s.students.whole,
            s.students.percent(),
            meets(s.reach_meets_threshold),
            s.staff.part,
            s.staff.whole,
            s.staff.percent(),
            meets(s.staff_meets_threshold),
            s.families,
            s.families_with_first,
            s.families_with_second,
        );
    }
    println!("Visits per educator");
    for e in &r.educators {
        println!(
            "  {:<22} visits {:>4}  completed {:>4}  documented {:>4}  first {:>4}  second {:>4}  trained {}",
            e.display_name,
            e.visits,
            e.completed,
            e.documented,
            e.first_visits,
            e.second_visits,
            if e.trained { "yes" } else { "no" }
        );
    }
}
