//! The `session_receive` target's input format, and the seeds of it and of `protocol_decode`.
//!
//! An input is up to [`MAX_MESSAGES`] records, each one [`DocMessage`]:
//! ```text
//! [selector u8][flags u8][length u16 LE]([kind u8][uuid 16 bytes] if flags & EXPLICIT_ID)[data]
//! ```
//! - selector < 0x80: the seeded document `selector % n`; else an unknown document of kind code
//!   `selector % 8` (6 and 7 are no kind) and a UUID made from the selector;
//! - flags & 3: the form (0 Sync, 1 Snapshot, 2 Holds, 3 Snapshot);
//! - `data` is `length` bytes (fewer at the end of the input); every Automerge chunk header in it
//!   gets a valid checksum ([`crate::fix_checksums`]);
//! - heads: the seeded document's real heads (`OUR_HEADS`), a made-up one (`BOGUS_HEAD`), the
//!   heads of `data` loaded as a document (`DATA_HEADS`);
//! - `REJECTED` also lists the document in the batch's `rejected` (Forbidden if `FORBIDDEN`).

use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{DocId, DocKind};
use homevisit_protocol::{DocMessage, MessageForm, RejectReason, Rejection, SyncBatch, WireDocId};
use sha2::{Digest, Sha256};

pub const MAX_MESSAGES: usize = 6;

pub const OUR_HEADS: u8 = 0x04;
pub const BOGUS_HEAD: u8 = 0x08;
pub const EXPLICIT_ID: u8 = 0x10;
pub const DATA_HEADS: u8 = 0x20;
pub const REJECTED: u8 = 0x40;
pub const FORBIDDEN: u8 = 0x80;

pub const SYNC: u8 = 0;
pub const SNAPSHOT: u8 = 1;
pub const HOLDS: u8 = 2;

/// One record of the input format.
pub fn record(selector: u8, flags: u8, explicit: Option<WireDocId>, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).expect("a seed message under 64 KiB");
    let mut out = vec![selector, flags | if explicit.is_some() { EXPLICIT_ID } else { 0 }];
    out.extend(len.to_le_bytes());
    if let Some(id) = explicit {
        out.push(id.kind);
        out.extend(id.id);
    }
    out.extend(data);
    out
}

fn unknown_doc(selector: u8) -> WireDocId {
    let mut id = [0u8; 16];
    id[0] = 0xf0;
    id[1] = 0x22;
    id[15] = selector;
    WireDocId { kind: selector % 8, id }
}

/// The batch an input stands for. `seeded` are the store's documents and their heads.
pub fn batch_from(input: &[u8], seeded: &[(DocId, Vec<ChangeHash>)]) -> SyncBatch {
    let mut batch = SyncBatch::new(Vec::new());
    let mut rest = input;
    while batch.messages.len() < MAX_MESSAGES && rest.len() >= 4 {
        let (selector, flags) = (rest[0], rest[1]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        rest = &rest[4..];
        let mut seeded_doc = None;
        let doc = if flags & EXPLICIT_ID != 0 {
            let Some((id, after)) = rest.split_at_checked(17) else { break };
            rest = after;
            WireDocId { kind: id[0], id: id[1..].try_into().expect("16 bytes") }
        } else if selector < 0x80 && !seeded.is_empty() {
            let (id, heads) = &seeded[usize::from(selector) % seeded.len()];
            seeded_doc = Some(heads);
            (*id).into()
        } else {
            unknown_doc(selector)
        };
        let (data, after) = rest.split_at(len.min(rest.len()));
        rest = after;
        let form = match flags & 3 {
            SYNC => MessageForm::Sync,
            HOLDS => MessageForm::Holds,
            _ => MessageForm::Snapshot,
        };
        let mut data = data.to_vec();
        if form != MessageForm::Holds {
            crate::fix_checksums(&mut data);
        }
        let mut heads: Vec<[u8; 32]> = Vec::new();
        if flags & OUR_HEADS != 0 {
            heads.extend(seeded_doc.into_iter().flatten().map(|h| h.0));
        }
        if flags & BOGUS_HEAD != 0 {
            heads.push(Sha256::digest(&data).into());
        }
        if flags & DATA_HEADS != 0 {
            // Contained: the harness must not panic on the bytes it is about to send.
            if let Ok(mut loaded) = homevisit_docs::load(&data) {
                let found = homevisit_docs::untrusted::contained("read heads", || Ok(loaded.get_heads()));
                heads.extend(found.unwrap_or_default().into_iter().map(|h| h.0));
            }
        }
        if flags & REJECTED != 0 {
            let reason = if flags & FORBIDDEN != 0 { RejectReason::Forbidden } else { RejectReason::Malformed };
            batch.rejected.push(Rejection { doc, reason });
        }
        batch.messages.push(DocMessage { doc, form, data, heads });
    }
    batch
}

/// A document of the demo district that is not in the fuzz store (arrives as new).
pub fn new_document() -> (DocId, AutoCommit) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let offset = chrono::FixedOffset::west_opt(8 * 3600).expect("offset");
    let data = homevisit_fixtures::demo::data_set(today, offset);
    let family = &data.families[2];
    (homevisit_docs::Record::doc_id(family), crate::record_doc(family))
}

/// Realistic session inputs: for each document of the store, a peer's edit as a sync exchange,
/// as a snapshot, and "holds" answers; for a new document, its snapshot and sync exchange.
pub fn seed_inputs(docs: &[(DocId, AutoCommit)]) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let empty = AutoCommit::new_with_encoding(homevisit_docs::ENCODING);
    for (i, (id, doc)) in docs.iter().enumerate() {
        let selector = u8::try_from(i).expect("few documents");
        let mut peer = crate::edited(id, doc);
        // The edit, as the sync exchange a peer would send (all its messages in one batch).
        let exchange: Vec<u8> =
            crate::sync_messages(&peer, doc).iter().flat_map(|m| record(selector, SYNC, None, m)).collect();
        seeds.push(exchange);
        // The edited document whole, with its heads; and the document as the store has it.
        seeds.push(record(selector, SNAPSHOT | DATA_HEADS, None, &peer.save()));
        seeds.push(record(selector, SNAPSHOT | OUR_HEADS, None, &doc.clone().save()));
        // "I hold what you hold", "I hold something else", and a refusal.
        seeds.push(
            [
                record(selector, HOLDS | OUR_HEADS, None, &[]),
                record(selector, HOLDS | BOGUS_HEAD | REJECTED, None, &[]),
            ]
            .concat(),
        );
        // The whole document to a peer that has nothing (what a first sync sends).
        if id.kind == DocKind::VisitNotes || i == 0 {
            let first: Vec<u8> =
                crate::sync_messages(&peer, &empty).iter().flat_map(|m| record(selector, SYNC, None, m)).collect();
            seeds.push(first);
        }
    }
    let (id, mut doc) = new_document();
    let wire = WireDocId::from(id);
    seeds.push(record(0, SNAPSHOT | DATA_HEADS, Some(wire), &doc.save()));
    let first: Vec<u8> =
        crate::sync_messages(&doc, &empty).iter().flat_map(|m| record(0, SYNC, Some(wire), m)).collect();
    seeds.push(first);
    // A document under an unknown id, and a message for a document kind that does not exist.
    seeds.push(record(0x80 | 3, SNAPSHOT, None, &doc.save()));
    seeds.push(record(0x80 | 7, SYNC, None, &[0x42, 0, 0, 0, 0]));
    seeds
}

/// Sync batches for `protocol_decode`: the session seeds as batches (small ones stay plain, large
/// ones are deflated by `encode`).
pub fn seed_batches(docs: &[(DocId, AutoCommit)]) -> Vec<SyncBatch> {
    let seeded: Vec<(DocId, Vec<ChangeHash>)> = docs.iter().map(|(id, doc)| (*id, doc.clone().get_heads())).collect();
    seed_inputs(docs).iter().map(|input| batch_from(input, &seeded)).collect()
}
