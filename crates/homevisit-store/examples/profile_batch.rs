use std::time::Instant;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, TextEncoding, transaction::Transactable, hydrate};
fn main() {
    let f = homevisit_fixtures::forms::make_debrief(0, 42);
    let enc = TextEncoding::Utf16CodeUnit;
    let t = Instant::now();
    for _ in 0..1000 {
        let mut d = AutoCommit::new_with_encoding(enc);
        let mut m: std::collections::HashMap<&str, hydrate::Value> = Default::default();
        for (k, s) in [("a", &f.notes.hopes_and_dreams), ("b", &f.notes.invitation), ("c", &f.notes.expectation), ("d", &f.reflection.learned), ("e", &f.reflection.assumptions_changed), ("g", &f.reflection.next_steps)] {
            m.insert(k, hydrate::Value::text(enc, s));
        }
        for k in ["h", "i", "j"] { m.insert(k, hydrate::Value::text(enc, "")); }
        d.batch_create_object(ROOT, "text", &hydrate::Value::from(m), false).unwrap();
        d.commit();
    }
    println!("1000 x batch notes (6 texts, ~1450 chars) {:?}", t.elapsed());
    // Reconcile of a record into an empty doc (autosurgeon's batch path), then hydrate + batch create.
    let data = homevisit_fixtures::forms::data_set(1000);
    let t = Instant::now();
    for (log, _) in &data.visits {
        let mut tmp = AutoCommit::new_with_encoding(enc);
        #[derive(autosurgeon::Reconcile)]
        struct W<'a> { data: &'a homevisit_model::VisitLog }
        autosurgeon::reconcile(&mut tmp, W { data: log }).unwrap();
        let v = tmp.hydrate(ROOT, None).unwrap();
        let hydrate::Value::Map(m) = v else { panic!() };
        let data_v = m.get("data").unwrap().clone();
        let mut d = AutoCommit::new_with_encoding(enc);
        d.batch_create_object(ROOT, "data", &data_v, false).unwrap();
        d.commit();
    }
    println!("1000 x log via tmp reconcile + batch create {:?}", t.elapsed());
    let t = Instant::now();
    for (log, _) in &data.visits {
        let mut tmp = AutoCommit::new_with_encoding(enc);
        #[derive(autosurgeon::Reconcile)]
        struct W<'a> { data: &'a homevisit_model::VisitLog }
        autosurgeon::reconcile(&mut tmp, W { data: log }).unwrap();
    }
    println!("1000 x log via reconcile into empty doc {:?}", t.elapsed());
    let _ = ObjType::Map;
}
