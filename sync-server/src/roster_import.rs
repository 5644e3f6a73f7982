//! Administration: a district's roster into the relay (`homevisit-relay roster import`), and an
//! educator's training date (`homevisit-relay educator train`).
//!
//! Records are *upserted*: a record whose document the relay has is loaded from the relay, the
//! roster's fields written over it with `homevisit_docs::write_record` (only what changed, as a
//! change on the stored history), and merged back; only a record the relay does not have gets a
//! new document. So a re-import never makes a second, independent document for an id (whose
//! concurrent "creation" could let the old values win), and phones receive the change on their
//! next sync. What is printed names kinds, counts and document ids, never a name.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use homevisit_docs::{DocId, DocKind, Record, create_record, read_record, write_record};
use homevisit_model::{Day, Educator, EducatorId};
use homevisit_roster::{Format, MAX_FILE_BYTES, Roster, merge_educator, merge_family};

use crate::{Relay, RelayError, Storage, live};

/// Documents merged into the relay per transaction: other devices' requests take turns between.
const IMPORT_BATCH: usize = 256;

/// What an upsert did (or, dry, would do) to one kind of record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindSummary {
    pub new: Vec<DocId>,
    pub changed: Vec<DocId>,
    pub unchanged: Vec<DocId>,
}

/// What an upsert did (or would do), per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub schools: KindSummary,
    pub educators: KindSummary,
    pub families: KindSummary,
}

impl UpsertSummary {
    /// What importing `roster` into an empty relay does: every record is new.
    pub fn all_new(roster: &Roster) -> Self {
        let new = |ids: Vec<DocId>| KindSummary { new: ids, ..KindSummary::default() };
        Self {
            schools: new(roster.schools.iter().map(Record::doc_id).collect()),
            educators: new(roster.educators.iter().map(Record::doc_id).collect()),
            families: new(roster.families.iter().map(Record::doc_id).collect()),
        }
    }

    /// Counts per kind, then the ids of new and changed records. Ids and counts only.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (kind, s) in [("schools", &self.schools), ("educators", &self.educators), ("families", &self.families)] {
            out.push_str(&format!(
                "{kind}: {} new, {} changed, {} unchanged\n",
                s.new.len(),
                s.changed.len(),
                s.unchanged.len()
            ));
            for id in &s.new {
                out.push_str(&format!("  new      {id}\n"));
            }
            for id in &s.changed {
                out.push_str(&format!("  changed  {id}\n"));
            }
        }
        out
    }
}

fn doc_error(e: homevisit_docs::DocError) -> RelayError {
    RelayError::Io(format!("document: {e}"))
}

/// Prepares one record's write: its document as it would be stored, or nothing if unchanged.
fn plan<T: Record + Clone + PartialEq>(
    relay: &Relay,
    record: &T,
    merge: impl Fn(&T, &T) -> T,
    actor: &ActorId,
    summary: &mut KindSummary,
    writes: &mut Vec<(DocId, Vec<u8>)>,
) -> Result<(), RelayError> {
    let id = record.doc_id();
    match relay.backend.document(&id)? {
        None => {
            let mut doc = create_record(record, actor).map_err(doc_error)?;
            writes.push((id, doc.save()));
            summary.new.push(id);
        }
        Some(mut doc) => {
            homevisit_docs::upgrade(&mut doc, T::KIND).map_err(doc_error)?;
            let existing: T = read_record(&doc).map_err(doc_error)?;
            let updated = merge(&existing, record);
            if updated == existing {
                summary.unchanged.push(id);
            } else {
                write_on(&mut doc, &updated, actor)?;
                writes.push((id, doc.save()));
                summary.changed.push(id);
            }
        }
    }
    Ok(())
}

/// Writes `value` over the stored document's record as `actor`'s change.
fn write_on<T: Record>(doc: &mut AutoCommit, value: &T, actor: &ActorId) -> Result<(), RelayError> {
    doc.set_actor(actor.clone());
    write_record(doc, value).map_err(doc_error)
}

impl Relay {
    /// Upserts a roster's records (see the module's documentation); with `dry_run`, only says what
    /// it would do. Live requests are woken as by [`Relay::import_with`].
    pub fn upsert_records(&self, roster: &Roster, dry_run: bool) -> Result<UpsertSummary, RelayError> {
        let actor = ActorId::random();
        let mut summary = UpsertSummary::default();
        let mut writes = Vec::new();
        let keep = |_: &_, new: &_| Clone::clone(new);
        for school in &roster.schools {
            plan(self, school, keep, &actor, &mut summary.schools, &mut writes)?;
        }
        for educator in &roster.educators {
            plan(self, educator, merge_educator, &actor, &mut summary.educators, &mut writes)?;
        }
        for family in &roster.families {
            plan(self, family, merge_family, &actor, &mut summary.families, &mut writes)?;
        }
        if !dry_run && !writes.is_empty() {
            for batch in writes.chunks(IMPORT_BATCH) {
                self.backend.import(batch)?;
            }
            self.announce(live::Announcement::Unknown);
            let count = |f: fn(&KindSummary) -> usize| {
                [&summary.schools, &summary.educators, &summary.families].into_iter().map(f).sum::<usize>() as u64
            };
            let (created, changed) = (count(|k| k.new.len()), count(|k| k.changed.len()));
            self.audit_operator(&[crate::audit::AuditEvent::RosterImported { created, changed }])?;
        }
        Ok(summary)
    }

    /// Sets an educator's training date in its record document (the same upsert path); `false`
    /// if it had that date already. An educator the relay does not have is an error.
    pub fn set_training_date(&self, educator: EducatorId, day: Day) -> Result<bool, RelayError> {
        let id = DocId::new(DocKind::Educator, educator.uuid());
        let mut doc = self.backend.document(&id)?.ok_or_else(|| RelayError::Io(format!("no educator {educator}")))?;
        homevisit_docs::upgrade(&mut doc, DocKind::Educator).map_err(doc_error)?;
        let existing: Educator = read_record(&doc).map_err(doc_error)?;
        if existing.training_date == Some(day) {
            return Ok(false);
        }
        write_on(&mut doc, &Educator { training_date: Some(day), ..existing }, &ActorId::random())?;
        self.backend.import(&[(id, doc.save())])?;
        self.announce(live::Announcement::Unknown);
        self.audit_operator(&[crate::audit::AuditEvent::EducatorTrained { educator }])?;
        Ok(true)
    }
}

/// Reads `format`'s files from `dir`: each at most [`MAX_FILE_BYTES`] (one byte more is read, so
/// the parser refuses a larger file without the relay reading all of it). A missing file is left
/// out (the parser says whether it was required).
pub fn read_roster_files(dir: &Path, format: Format) -> Result<BTreeMap<String, Vec<u8>>, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let mut files = BTreeMap::new();
    for &(name, _) in format.files() {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        if !path.is_file() {
            return Err(format!("{} is not a file", path.display()));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?;
        files.insert(name.to_string(), bytes);
    }
    Ok(files)
}

/// A roster file format, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// OneRoster 1.1/1.2 CSV (orgs.csv, users.csv, optionally roles.csv, classes.csv, enrollments.csv).
    Oneroster,
    /// homevisit's CSV template (schools.csv, staff.csv, families.csv, students.csv).
    Template,
}

/// `homevisit-relay roster ...`
#[derive(Clone, Debug, clap::Subcommand)]
pub enum RosterCommand {
    /// Import (or re-import) a district's roster from a directory of CSV files: schools, staff
    /// and families are created or updated by their source ids, never duplicated. A file with any
    /// bad row prints line-numbered errors and changes nothing.
    Import {
        /// The directory holding the format's CSV files (other files in it are not opened).
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = FormatArg::Oneroster)]
        format: FormatArg,
        /// Print what would change (counts and ids per kind) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `homevisit-relay educator ...`
#[derive(Clone, Debug, clap::Subcommand)]
pub enum EducatorCommand {
    /// Record the day an educator completed PTHV training (in its record: phones get it on their
    /// next sync).
    Train {
        /// The educator's id.
        id: EducatorId,
        /// The training day, YYYY-MM-DD.
        #[arg(long)]
        on: String,
    },
}

/// Runs `roster import`: parses first (a bad file opens nothing), then upserts.
pub fn run_roster(data_dir: &Path, storage: &Storage, command: RosterCommand) -> Result<(), String> {
    let RosterCommand::Import { dir, format, dry_run } = command;
    let format = match format {
        FormatArg::Oneroster => Format::OneRoster,
        FormatArg::Template => Format::Template,
    };
    let files = read_roster_files(&dir, format)?;
    let roster = match homevisit_roster::parse(format, &files) {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            return Err(format!("the roster has {} error(s); nothing was imported", errors.len()));
        }
    };
    // A dry run against an embedded relay that has no data yet: everything is new, and opening it
    // would create its files.
    let summary = if dry_run && matches!(storage, Storage::Embedded) && !data_dir.join("documents.db").exists() {
        UpsertSummary::all_new(&roster)
    } else {
        let relay = Relay::open_with(data_dir, storage).map_err(|e| e.to_string())?;
        relay.upsert_records(&roster, dry_run).map_err(|e| e.to_string())?
    };
    print!("{}", summary.report());
    if dry_run {
        println!("dry run: nothing was changed");
    }
    Ok(())
}

/// Runs `educator train`.
pub fn run_educator(data_dir: &Path, storage: &Storage, command: EducatorCommand) -> Result<(), String> {
    let EducatorCommand::Train { id, on } = command;
    let day = Day::parse(&on).ok_or("--on must be a date YYYY-MM-DD")?;
    let relay = Relay::open_with(data_dir, storage).map_err(|e| e.to_string())?;
    if relay.set_training_date(id, day).map_err(|e| e.to_string())? {
        println!("educator {id}: trained on {day}");
    } else {
        println!("educator {id}: already trained on {day}");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
