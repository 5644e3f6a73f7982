//! Two partners typing into the same debrief field at once: whatever order their edits are merged
//! in, both replicas end identical and every word either of them inserted is there exactly once.

use automerge::{ActorId, AutoCommit};
use homevisit_docs::{create_notes, load, note_text, set_note_text, splice_note};
use homevisit_model::{NoteField, VisitId};
use proptest::prelude::*;

const FIELD: NoteField = NoteField::Learned;
const BASE: &str = "They moved here three years ago. Grandma cooks dinner. ";

/// Word `i` of a partner: accented or astral characters exercise UTF-16 positions.
fn word(partner: char, i: usize) -> String {
    match i % 3 {
        0 => format!("{partner}{i}"),
        1 => format!("{partner}{i}ñé"),
        _ => format!("{partner}{i}😀"),
    }
}

/// UTF-16 positions where a word may start: the beginning, or just after a space.
fn word_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut pos = 0;
    for ch in text.chars() {
        pos += ch.len_utf16();
        if ch == ' ' {
            starts.push(pos);
        }
    }
    starts
}

fn base_doc() -> AutoCommit {
    let mut doc = create_notes(VisitId::new());
    set_note_text(&mut doc, FIELD, BASE).unwrap();
    doc
}

/// Applies the partner's insertions, returning the incremental change bytes of each edit.
fn type_words(doc: &mut AutoCommit, partner: char, picks: &[usize]) -> Vec<Vec<u8>> {
    picks
        .iter()
        .enumerate()
        .map(|(i, pick)| {
            let before = doc.get_heads();
            let starts = word_starts(&note_text(doc, FIELD).unwrap());
            let pos = starts[pick % starts.len()];
            splice_note(doc, FIELD, pos, 0, &format!("{} ", word(partner, i))).unwrap();
            doc.save_after(&before)
        })
        .collect()
}

fn assert_every_word_once(text: &str, a: usize, b: usize) {
    let tokens: Vec<&str> = text.split(' ').collect();
    for (partner, n) in [('a', a), ('b', b)] {
        for i in 0..n {
            let w = word(partner, i);
            assert_eq!(tokens.iter().filter(|t| **t == w).count(), 1, "word {w} in {text:?}");
        }
    }
    for base_word in BASE.split(' ').filter(|w| !w.is_empty()) {
        assert!(tokens.contains(&base_word), "base word {base_word} kept");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn concurrent_debrief_edits_converge_without_losing_words(
        picks_a in prop::collection::vec(0usize..1000, 0..25),
        picks_b in prop::collection::vec(0usize..1000, 0..25),
        shuffle_seed in any::<u64>(),
    ) {
        let mut a = base_doc();
        let mut b = a.fork().with_actor(ActorId::random());
        let mut fresh = load(&a.save()).unwrap();

        let chunks_a = type_words(&mut a, 'a', &picks_a);
        let chunks_b = type_words(&mut b, 'b', &picks_b);

        // Route 1: each merges the other, in opposite orders.
        let mut ab = a.fork();
        ab.merge(&mut b.fork()).unwrap();
        let mut ba = b.fork();
        ba.merge(&mut a.fork()).unwrap();

        // Route 2: a third replica receives every change chunk in a shuffled order (causal gaps
        // included: Automerge queues a change until its dependencies arrive).
        let mut chunks: Vec<Vec<u8>> = chunks_a.into_iter().chain(chunks_b).collect();
        let mut state = shuffle_seed;
        for i in (1..chunks.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            chunks.swap(i, (state >> 33) as usize % (i + 1));
        }
        for c in &chunks {
            fresh.load_incremental(c).unwrap();
        }

        let text = note_text(&ab, FIELD).unwrap();
        prop_assert_eq!(&text, &note_text(&ba, FIELD).unwrap());
        prop_assert_eq!(&text, &note_text(&fresh, FIELD).unwrap());
        prop_assert_eq!(ab.get_heads(), ba.get_heads());
        prop_assert_eq!(ab.get_heads(), fresh.get_heads());
        assert_every_word_once(&text, picks_a.len(), picks_b.len());
    }
}

#[test]
fn a_word_typed_into_a_sentence_the_partner_deleted_survives() {
    let mut a = base_doc();
    let mut b = a.fork().with_actor(ActorId::random());
    // A deletes the first sentence; B, offline, adds a word inside it.
    let first = "They moved here three years ago. ".encode_utf16().count();
    splice_note(&mut a, FIELD, 0, first, "").unwrap();
    let pos = "They moved ".encode_utf16().count();
    splice_note(&mut b, FIELD, pos, 0, "recently ").unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a.fork()).unwrap();
    let text = note_text(&a, FIELD).unwrap();
    assert_eq!(text, note_text(&b, FIELD).unwrap());
    assert!(text.contains("recently"), "{text}");
    assert!(!text.contains("three years"), "{text}");
}

#[test]
fn two_devices_creating_the_same_notes_share_their_text_objects() {
    // Both partners open the visit's notes before either has synced: both typed words survive.
    let visit = VisitId::new();
    let mut a = create_notes(visit);
    let mut b = create_notes(visit);
    splice_note(&mut a, FIELD, 0, 0, "from A").unwrap();
    splice_note(&mut b, FIELD, 0, 0, "from B").unwrap();
    a.merge(&mut b).unwrap();
    let text = note_text(&a, FIELD).unwrap();
    assert!(text.contains("from A") && text.contains("from B"), "{text}");
}
