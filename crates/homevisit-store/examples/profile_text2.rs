use std::time::Instant;
use automerge::{AutoCommit, ObjType, ROOT, TextEncoding, transaction::Transactable};
fn main() {
    for n in [100usize, 600, 6000, 60000] {
        let text: String = "abcdefghij".repeat(n / 10);
        let reps = 600_000 / n;
        let (mut splice, mut commit) = (0.0, 0.0);
        for _ in 0..reps {
            let mut d = AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit);
            let o = d.put_object(ROOT, "t", ObjType::Text).unwrap();
            let t = Instant::now();
            d.splice_text(&o, 0, 0, &text).unwrap();
            splice += t.elapsed().as_secs_f64();
            let t = Instant::now();
            d.commit();
            commit += t.elapsed().as_secs_f64();
        }
        println!("{n} chars x{reps}: splice {:.3} us/char, commit {:.3} us/char", splice * 1e6 / (reps * n) as f64, commit * 1e6 / (reps * n) as f64);
    }
}
