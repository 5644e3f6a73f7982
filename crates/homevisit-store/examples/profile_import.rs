use std::time::Instant;
use automerge::ActorId;
use homevisit_docs::*;
use homevisit_fixtures::forms;
fn main() {
    let data = forms::data_set(1000);
    let actor = ActorId::random();
    let t = Instant::now();
    let mut fams: Vec<_> = data.families.iter().map(|f| create_record(f, &actor).unwrap()).collect();
    println!("create family docs {:?}", t.elapsed());
    let t = Instant::now();
    let mut logs: Vec<_> = data.visits.iter().map(|(l, _)| create_record(l, &actor).unwrap()).collect();
    println!("create log docs {:?}", t.elapsed());
    let t = Instant::now();
    let mut notes: Vec<_> = data.visits.iter().map(|(l, n)| { let mut d = create_notes(l.plan.id); write_notes(&mut d, n).unwrap(); d }).collect();
    println!("create notes docs {:?}", t.elapsed());
    let t = Instant::now();
    let mut total = 0; for d in fams.iter_mut().chain(logs.iter_mut()).chain(notes.iter_mut()) { total += d.save().len(); }
    println!("save all {:?} ({} bytes)", t.elapsed(), total);
    let t = Instant::now();
    for d in logs.iter() { let _: homevisit_model::VisitLog = read_record(d).unwrap(); }
    println!("hydrate logs {:?}", t.elapsed());
    let t = Instant::now();
    for d in notes.iter_mut() { d.get_heads(); }
    println!("heads {:?}", t.elapsed());
    let t = Instant::now();
    for (_, n) in data.visits.iter() { let mut d = create_notes(homevisit_model::VisitId::new()); 
        use automerge::transaction::Transactable; use automerge::ReadDoc;
        let (_, texts) = d.get(automerge::ROOT, "text").unwrap().unwrap();
        for f in homevisit_model::NoteField::ALL { let (_, o) = d.get(&texts, f.key()).unwrap().unwrap(); let s = n.field(f); if !s.is_empty() { d.splice_text(&o, 0, 0, s).unwrap(); } }
        d.commit(); }
    println!("notes via splice {:?}", t.elapsed());
    let t = Instant::now();
    for l in data.visits.iter().take(1000) { let _ = new_skeleton(&DocId::new(DocKind::VisitLog, l.0.plan.id.uuid())); }
    println!("skeletons {:?}", t.elapsed());
}
