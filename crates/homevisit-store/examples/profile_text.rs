use std::time::Instant;
use automerge::{AutoCommit, ObjType, ROOT, TextEncoding, transaction::Transactable};
fn main() {
    let text: String = homevisit_fixtures::forms::make_debrief(0, 42).notes.hopes_and_dreams;
    for enc in [TextEncoding::Utf16CodeUnit, TextEncoding::UnicodeCodePoint, TextEncoding::Utf8CodeUnit] {
        let t = Instant::now();
        for _ in 0..1000 {
            let mut d = AutoCommit::new_with_encoding(enc);
            let o = d.put_object(ROOT, "t", ObjType::Text).unwrap();
            d.splice_text(&o, 0, 0, &text).unwrap();
            d.commit();
        }
        println!("{enc:?}: 1000 x splice 600 chars {:?}", t.elapsed());
    }
    let t = Instant::now();
    for _ in 0..1000 {
        let mut d = AutoCommit::new();
        d.put(ROOT, "t", text.as_str()).unwrap();
        d.commit();
    }
    println!("1000 x put 600-char scalar string {:?}", t.elapsed());
    let t = Instant::now();
    for _ in 0..1000 {
        let mut d = AutoCommit::new();
        for i in 0..20 { d.put(ROOT, format!("k{i}").as_str(), i as i64).unwrap(); }
        d.commit();
    }
    println!("1000 x 20 scalar puts {:?}", t.elapsed());
    let t = Instant::now();
    for _ in 0..1000 {
        let mut d = AutoCommit::new();
        d.put(ROOT, "k", 1).unwrap();
        d.commit();
    }
    println!("1000 x 1 put + commit {:?}", t.elapsed());
    let t = Instant::now();
    for _ in 0..1000 {
        let _d = AutoCommit::new();
    }
    println!("1000 x new {:?}", t.elapsed());
}
