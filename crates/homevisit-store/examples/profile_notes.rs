use std::time::Instant;
use automerge::ActorId;
use homevisit_docs::*;
use homevisit_model::NoteField;
fn main() {
    let data = homevisit_fixtures::forms::data_set(300);
    for mode in ["skeleton+write_notes", "batch"] {
        let t = Instant::now();
        let mut docs: Vec<_> = data.visits.iter().map(|(l, n)| {
            if mode == "batch" { create_notes_with(l.plan.id, n, &ActorId::random()).unwrap() }
            else { let mut d = create_notes(l.plan.id); write_notes(&mut d, n).unwrap(); d }
        }).collect();
        let build = t.elapsed();
        let size: usize = docs.iter_mut().map(|d| d.save().len()).sum();
        let t = Instant::now();
        for d in docs.iter_mut() { for i in 0..10 { splice_note(d, NoteField::HopesAndDreams, 100 + i, 0, "e").unwrap(); } }
        let edit = t.elapsed();
        let t = Instant::now();
        for d in docs.iter_mut() { let b = d.save(); let _ = load(&b).unwrap(); }
        println!("{mode}: build {:?}/300, save {} bytes/doc, 10 splices {:?}/doc, save+load {:?}/doc", build, size / 300, edit / 300, t.elapsed() / 300);
    }
}
