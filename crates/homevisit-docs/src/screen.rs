//! A screen Automerge's bytes pass before Automerge sees them, for the two crafted inputs no
//! `catch_unwind` can contain, because they end the process rather than panic
//! (`crates/homevisit-fuzz/FINDINGS.md`, "Escapes"):
//!
//! - a *bundle* chunk (type 3), which nothing here writes, made Automerge 0.12 allocate 4 GiB from
//!   110 bytes and abort (A): only documents (0), changes (1) and compressed changes (2) pass;
//! - a column whose run lengths claim (practically) endless rows made it collect values until the
//!   machine ran out of memory (D): every column of a document or change is walked here, without
//!   decoding values, and its rows counted; a column of more than [`MAX_COLUMN_ROWS`] is refused.
//!
//!
//! The same walk counts the operations the bytes hold (the rows of their op columns), so a few
//! hundred bytes claiming a million operations (an "operation bomb", which takes Automerge seconds
//! and a hundred MB to load) are refused before Automerge loads them: see [`crate::limits`].
//!
//! The walk follows the storage format (<https://alexjg.github.io/automerge-storage-docs/>): a
//! chunk is magic, checksum, type, uLEB128 length, contents; a column is run-length encoded (a
//! signed count: `n > 0` a value repeated `n` times, `n < 0` `-n` literal values, `0` a null run of
//! an unsigned count), a boolean column alternating run lengths, a value column raw bytes; a
//! document's columns may be deflated, and a compressed change is a deflated change. Checksums
//! are left to Automerge.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::DocError;

/// Most rows one column may hold: a notes document at its length limits, edited for years, has a
/// few hundred thousand operations; this is well above, and bounds what a decoder may collect.
pub const MAX_COLUMN_ROWS: u64 = 1 << 23;

/// Most bytes a deflated column or compressed change may inflate to.
const MAX_INFLATED: u64 = 16 << 20;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;

type Screened<T = ()> = Result<T, DocError>;

/// Operations, as counted by the screen.
pub type Ops = u64;

fn bad<T>(why: &'static str) -> Screened<T> {
    Err(DocError::Unreadable(why))
}

/// Checks that `bytes` are a sequence of whole chunks of the types this app reads, and that no
/// column in them claims more than [`MAX_COLUMN_ROWS`] rows. Returns how many operations they
/// hold (a document's, plus each change's; the same operation in two chunks counts twice).
pub fn screen_chunks(mut bytes: &[u8]) -> Screened<Ops> {
    let mut ops: Ops = 0;
    while !bytes.is_empty() {
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC {
            return bad("not an Automerge chunk");
        }
        r.take(4)?; // the checksum: Automerge's to verify
        let kind = r.byte()?;
        let len = r.uleb_usize()?;
        let contents = r.take(len)?;
        let in_chunk = match kind {
            DOCUMENT => document(contents)?,
            CHANGE => change(contents)?,
            COMPRESSED_CHANGE => change(&inflate(contents)?)?,
            _ => return bad("a chunk of a type this app does not read"),
        };
        ops = ops.saturating_add(in_chunk);
        bytes = r.0;
    }
    Ok(ops)
}

/// The heads a saved document declares, read from its header without loading it, if `bytes` are
/// exactly one document chunk whose checksum is right (`None` for any other shape: a document
/// followed by changes, or changes alone). The checksum is Automerge's: the first 4 bytes of the
/// SHA-256 of the chunk's type, length and contents; it catches damage, not a crafted chunk (whose
/// sender can compute it), so the heads are a claim until the document is loaded, which verifies
/// them against its changes.
pub fn document_chunk_heads(bytes: &[u8]) -> Screened<Option<Vec<[u8; 32]>>> {
    let mut r = Reader(bytes);
    if r.take(4)? != MAGIC {
        return bad("not an Automerge chunk");
    }
    let checksum = r.take(4)?;
    if r.byte()? != DOCUMENT {
        return Ok(None);
    }
    let len = r.uleb_usize()?;
    let contents = r.take(len)?;
    if !r.0.is_empty() {
        return Ok(None);
    }
    let mut header = vec![DOCUMENT];
    let mut n = len as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            header.push(byte);
            break;
        }
        header.push(byte | 0x80);
    }
    let digest = Sha256::new().chain_update(&header).chain_update(contents).finalize();
    if digest[..4] != *checksum {
        return bad("a document chunk whose checksum is wrong");
    }
    let mut r = Reader(contents);
    for _ in 0..r.count()? {
        let len = r.uleb_usize()?;
        r.take(len)?; // an actor id
    }
    let heads = r.count()?;
    let mut out = Vec::with_capacity(heads.min(64));
    for _ in 0..heads {
        out.push(r.take(32)?.try_into().expect("32 bytes taken"));
    }
    Ok(Some(out))
}

/// A document chunk: actors, heads, the change and op column layouts, their data, and (optional)
/// head indices. Returns its operations (the rows of its longest op column).
fn document(contents: &[u8]) -> Screened<Ops> {
    let mut r = Reader(contents);
    for _ in 0..r.count()? {
        let len = r.uleb_usize()?;
        r.take(len)?; // an actor id
    }
    let heads = r.count()?;
    r.take(heads.checked_mul(32).ok_or(DocError::Unreadable("too many heads"))?)?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    for (spec, len) in change_columns {
        column(spec, r.take(len)?)?;
    }
    let mut ops = 0;
    for (spec, len) in op_columns {
        ops = ops.max(column(spec, r.take(len)?)?);
    }
    Ok(ops)
}

/// A change chunk: dependencies, actor, sequence, start op, time, message, other actors, the op
/// column layout and data, then extra bytes. Returns its operations (the rows of its longest column).
fn change(contents: &[u8]) -> Screened<Ops> {
    let mut r = Reader(contents);
    let deps = r.count()?;
    r.take(deps.checked_mul(32).ok_or(DocError::Unreadable("too many dependencies"))?)?;
    let actor = r.uleb_usize()?;
    r.take(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    let message = r.uleb_usize()?;
    r.take(message)?;
    for _ in 0..r.count()? {
        let len = r.uleb_usize()?;
        r.take(len)?;
    }
    let mut ops = 0;
    for (spec, len) in r.columns()? {
        ops = ops.max(column(spec, r.take(len)?)?);
    }
    Ok(ops)
}

/// Counts one column's rows without decoding its values (a raw value column: 0, its rows are
/// counted by its metadata column).
fn column(spec: u32, data: &[u8]) -> Screened<u64> {
    let inflated;
    let data = if spec & 0b1000 != 0 {
        inflated = inflate(data)?;
        &inflated[..]
    } else {
        data
    };
    let mut r = Reader(data);
    let mut rows: u64 = 0;
    let mut add = |n: u64| -> Screened {
        rows = rows.saturating_add(n);
        if rows > MAX_COLUMN_ROWS { bad("a column with more rows than a document this app writes") } else { Ok(()) }
    };
    match spec & 0b111 {
        // Boolean: alternating run lengths.
        4 => {
            while !r.0.is_empty() {
                add(r.uleb()?)?;
            }
        }
        // Raw values (their lengths are in the value-metadata column).
        7 => {}
        kind => {
            let skip_value = |r: &mut Reader<'_>| -> Screened {
                match kind {
                    3 => r.sleb().map(|_| ()),                               // delta integers
                    5 => r.uleb_usize().and_then(|n| r.take(n).map(|_| ())), // strings
                    _ => r.uleb().map(|_| ()),                               // groups, actors, integers, metadata
                }
            };
            while !r.0.is_empty() {
                let count = r.sleb()?;
                if count > 0 {
                    skip_value(&mut r)?;
                    add(count.unsigned_abs())?;
                } else if count < 0 {
                    let n = count.unsigned_abs();
                    add(n)?;
                    for _ in 0..n {
                        skip_value(&mut r)?;
                    }
                } else {
                    add(r.uleb()?)?;
                }
            }
        }
    }
    Ok(rows)
}

fn inflate(data: &[u8]) -> Screened<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)
        .map_err(|_| DocError::Unreadable("a deflated column that does not inflate"))?;
    if out.len() as u64 > MAX_INFLATED {
        return bad("a deflated column that inflates past the limit");
    }
    Ok(out)
}

/// Reads Automerge's primitives off a byte slice, refusing what runs past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Screened<&'a [u8]> {
        if n > self.0.len() {
            return bad("a length past the end of the bytes");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Screened<u8> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Screened<u64> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let byte = self.byte()?;
            if shift > 63 || (shift == 63 && byte & 0x7e != 0) {
                return bad("a number out of range");
            }
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
    }

    fn sleb(&mut self) -> Screened<i64> {
        let (mut value, mut shift) = (0i64, 0u32);
        loop {
            let byte = self.byte()?;
            if shift > 63 {
                return bad("a number out of range");
            }
            value |= i64::from(byte & 0x7f).wrapping_shl(shift);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    fn uleb_usize(&mut self) -> Screened<usize> {
        usize::try_from(self.uleb()?).map_err(|_| DocError::Unreadable("a length out of range"))
    }

    /// A count of items that each take at least one byte: no more than the bytes left.
    fn count(&mut self) -> Screened<usize> {
        let n = self.uleb_usize()?;
        if n > self.0.len() { bad("a count past the end of the bytes") } else { Ok(n) }
    }

    /// A column layout: a count, then (spec, data length) pairs.
    fn columns(&mut self) -> Screened<Vec<(u32, usize)>> {
        (0..self.count()?)
            .map(|_| {
                let spec =
                    u32::try_from(self.uleb()?).map_err(|_| DocError::Unreadable("a column spec out of range"))?;
                Ok((spec, self.uleb_usize()?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

    fn busy_document() -> AutoCommit {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        for i in 0..300 {
            doc.splice_text(&text, 0, 0, &format!("word {i} ")).unwrap();
            doc.put(ROOT, format!("k{}", i % 7), i as i64).unwrap();
            doc.commit();
        }
        doc
    }

    #[test]
    fn a_saved_documents_heads_are_read_from_its_header_and_damage_is_refused() {
        let mut doc = busy_document();
        let saved = doc.save();
        let heads: Vec<[u8; 32]> = doc.get_heads().iter().map(|h| h.0).collect();
        assert_eq!(document_chunk_heads(&saved).unwrap(), Some(heads));
        // Other shapes are not read here: a document followed by a change, changes alone.
        let text = doc.get(ROOT, "text").unwrap().unwrap().1;
        doc.splice_text(&text, 0, 0, "more").unwrap();
        let mut change = doc.get_last_local_change().unwrap().clone();
        let mut followed = saved.clone();
        followed.extend_from_slice(change.bytes().as_ref());
        assert_eq!(document_chunk_heads(&followed).unwrap(), None);
        assert_eq!(document_chunk_heads(change.bytes().as_ref()).unwrap(), None);
        // A flipped byte anywhere in the contents fails the checksum; cut bytes fail the length.
        for at in [20, saved.len() / 2, saved.len() - 1] {
            let mut damaged = saved.clone();
            damaged[at] ^= 0x01;
            assert!(document_chunk_heads(&damaged).is_err(), "byte {at}");
        }
        assert!(document_chunk_heads(&saved[..saved.len() - 3]).is_err());
    }

    #[test]
    fn what_automerge_writes_passes() {
        let mut doc = busy_document();
        let saved = doc.save(); // large enough that Automerge deflates its columns
        screen_chunks(&saved).unwrap();
        let changes: Vec<u8> = doc.get_changes(&[]).into_iter().flat_map(|mut c| c.bytes().to_vec()).collect();
        screen_chunks(&changes).unwrap();
        let mut compressed = doc.get_changes(&[]).into_iter().map(|c| c.raw_bytes().to_vec()).collect::<Vec<_>>();
        for c in &mut compressed {
            screen_chunks(c).unwrap();
        }
        screen_chunks(&doc.save_nocompress()).unwrap();
    }

    #[test]
    fn the_screen_counts_operations_as_automerge_does() {
        let mut doc = busy_document();
        let ops = doc.stats().num_ops;
        assert!(ops > 2000, "{ops}");
        assert_eq!(screen_chunks(&doc.save()).unwrap(), ops, "compressed document");
        assert_eq!(screen_chunks(&doc.save_nocompress()).unwrap(), ops);
        let changes: Vec<u8> = doc.get_changes(&[]).into_iter().flat_map(|mut c| c.bytes().to_vec()).collect();
        assert_eq!(screen_chunks(&changes).unwrap(), ops, "one chunk per change");
    }

    #[test]
    fn bundles_truncations_and_endless_runs_are_refused() {
        let saved = AutoCommit::new().save();
        let mut bundle = saved.clone();
        bundle[8] = 3;
        assert!(matches!(screen_chunks(&bundle), Err(DocError::Unreadable(_))));
        assert!(screen_chunks(&saved[..saved.len() - 1]).is_err());
        assert!(screen_chunks(&[&saved[..], b"x"].concat()).is_err());
        // One run of 2^40 rows in an integer column.
        let mut run = Vec::new();
        leb::write_signed(&mut run, 1 << 40);
        leb::write_unsigned(&mut run, 7);
        assert!(column(2, &run).is_err());
        let mut fine = Vec::new();
        leb::write_signed(&mut fine, 1000);
        leb::write_unsigned(&mut fine, 7);
        assert!(column(2, &fine).is_ok());
    }

    mod leb {
        pub fn write_unsigned(out: &mut Vec<u8>, mut v: u64) {
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(byte);
                    return;
                }
                out.push(byte | 0x80);
            }
        }
        pub fn write_signed(out: &mut Vec<u8>, mut v: i64) {
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
                out.push(if done { byte } else { byte | 0x80 });
                if done {
                    return;
                }
            }
        }
    }
}
