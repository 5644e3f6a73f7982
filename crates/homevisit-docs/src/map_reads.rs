//! Typed reads of a document in one pass per map or list.
//!
//! autosurgeon reads a struct field by field, and each `get` seeks the key in Automerge's op set
//! from the start: a visit log (about 40 fields in a handful of maps and lists) cost some 47 µs to
//! read that way, several times what walking each of its objects once costs. [`MapReads`] reads a
//! map (`map_range`) or a list (`list_range`) whole the first time one of its entries is asked for:
//! the value each entry shows, the same one `get` returns (conflicts resolved the same way), and
//! answers every later entry of that object from what it read. Text and everything else are read
//! from the document as before. Reading only: nothing is written through it, so what it holds
//! cannot go stale.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeBounds;

use automerge::{AutoCommit, AutomergeError, ObjId, ObjType, Prop, Value};

/// An object as read: a map's keys in order, or a list's items, each with the value it shows and
/// that value's id; anything else (text) is read from the document each time.
enum Read {
    Map(Vec<(String, Value<'static>, ObjId)>),
    List(Vec<(Value<'static>, ObjId)>),
    Other,
}

/// An [`autosurgeon::ReadDoc`] over an [`AutoCommit`] that reads each map and list once (see the
/// module).
pub struct MapReads<'a> {
    doc: &'a AutoCommit,
    objects: RefCell<HashMap<ObjId, Read>>,
}

impl<'a> MapReads<'a> {
    pub fn new(doc: &'a AutoCommit) -> Self {
        Self { doc, objects: RefCell::new(HashMap::new()) }
    }

    /// `f` of the object `obj` as read (read whole the first time).
    fn with_read<R>(&self, obj: &ObjId, f: impl FnOnce(&Read) -> R) -> R {
        let mut objects = self.objects.borrow_mut();
        let read = objects.entry(obj.clone()).or_insert_with(|| match automerge::ReadDoc::object_type(self.doc, obj) {
            Ok(ObjType::Map | ObjType::Table) => Read::Map(
                automerge::ReadDoc::map_range(self.doc, obj, ..)
                    .map(|item| {
                        let id = item.id();
                        (item.key.into_owned(), item.value.into_value(), id)
                    })
                    .collect(),
            ),
            Ok(ObjType::List) => Read::List(
                automerge::ReadDoc::list_range(self.doc, obj, ..)
                    .map(|item| {
                        let id = item.id();
                        (item.value.into_value(), id)
                    })
                    .collect(),
            ),
            _ => Read::Other,
        });
        f(read)
    }
}

impl autosurgeon::ReadDoc for MapReads<'_> {
    type Parents<'b>
        = automerge::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<automerge::ChangeHash> {
        autosurgeon::ReadDoc::get_heads(self.doc)
    }

    fn get<P: Into<Prop>>(&self, obj: &ObjId, prop: P) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        let cached = self.with_read(obj, |read| match (read, &prop) {
            // `map_range` yields the keys in order.
            (Read::Map(entries), Prop::Map(key)) => Some(
                entries
                    .binary_search_by(|(k, _, _)| k.as_str().cmp(key))
                    .ok()
                    .map(|at| (entries[at].1.clone(), entries[at].2.clone())),
            ),
            (Read::List(items), Prop::Seq(index)) => Some(items.get(*index).cloned()),
            // Text, a key of a list or an index of a map: what the document answers.
            _ => None,
        });
        match cached {
            Some(found) => Ok(found),
            None => automerge::ReadDoc::get(self.doc, obj, prop),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        autosurgeon::ReadDoc::object_type(self.doc, obj)
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> automerge::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        automerge::ReadDoc::map_range(self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(&self, obj: O, range: R) -> automerge::iter::ListRange<'_> {
        automerge::ReadDoc::list_range(self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        let obj = obj.as_ref();
        self.with_read(obj, |read| match read {
            Read::Map(entries) => Some(entries.len()),
            Read::List(items) => Some(items.len()),
            Read::Other => None,
        })
        .unwrap_or_else(|| automerge::ReadDoc::length(self.doc, obj))
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        automerge::ReadDoc::text(self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        automerge::ReadDoc::parents(self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        autosurgeon::ReadDoc::is_empty(self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT, ScalarValue};
    use autosurgeon::ReadDoc as _;
    use proptest::prelude::*;

    /// One edit of a small document whose root holds maps `m0`, `m1` and lists `l0`, `l1`.
    #[derive(Clone, Debug)]
    enum Edit {
        Put { map: u8, key: u8, value: i64 },
        PutCounter { map: u8, key: u8 },
        Increment { map: u8, key: u8 },
        PutMap { map: u8, key: u8 },
        PutText { map: u8, key: u8 },
        Delete { map: u8, key: u8 },
        Insert { list: u8, at: u8, value: i64 },
        Set { list: u8, at: u8, value: i64 },
        Remove { list: u8, at: u8 },
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let (m, k, v) = (0u8..2, 0u8..6, any::<i64>());
        prop_oneof![
            (m.clone(), k.clone(), v).prop_map(|(map, key, value)| Edit::Put { map, key, value }),
            (m.clone(), k.clone()).prop_map(|(map, key)| Edit::PutCounter { map, key }),
            (m.clone(), k.clone()).prop_map(|(map, key)| Edit::Increment { map, key }),
            (m.clone(), k.clone()).prop_map(|(map, key)| Edit::PutMap { map, key }),
            (m.clone(), k.clone()).prop_map(|(map, key)| Edit::PutText { map, key }),
            (m, k.clone()).prop_map(|(map, key)| Edit::Delete { map, key }),
            (0u8..2, k.clone(), v).prop_map(|(list, at, value)| Edit::Insert { list, at, value }),
            (0u8..2, k.clone(), v).prop_map(|(list, at, value)| Edit::Set { list, at, value }),
            (0u8..2, k).prop_map(|(list, at)| Edit::Remove { list, at }),
        ]
    }

    fn object(doc: &AutoCommit, key: String) -> ObjId {
        automerge::ReadDoc::get(doc, ROOT, key).unwrap().unwrap().1
    }

    /// Applies what it can of `edit` (an edit that does not fit the document is skipped: an
    /// increment of a key that is not a counter, an index past the end).
    fn apply(doc: &mut AutoCommit, edit: &Edit) {
        let key = |k: &u8| format!("k{k}");
        let _ = match edit {
            Edit::Put { map, key: k, value } => doc.put(object(doc, format!("m{map}")), key(k), *value),
            Edit::PutCounter { map, key: k } => {
                doc.put(object(doc, format!("m{map}")), key(k), ScalarValue::counter(1))
            }
            Edit::Increment { map, key: k } => doc.increment(object(doc, format!("m{map}")), key(k), 2),
            Edit::PutMap { map, key: k } => {
                doc.put_object(object(doc, format!("m{map}")), key(k), ObjType::Map).map(|_| ())
            }
            Edit::PutText { map, key: k } => {
                doc.put_object(object(doc, format!("m{map}")), key(k), ObjType::Text).map(|_| ())
            }
            Edit::Delete { map, key: k } => doc.delete(object(doc, format!("m{map}")), key(k)),
            Edit::Insert { list, at, value } => {
                let list = object(doc, format!("l{list}"));
                let at = usize::from(*at).min(automerge::ReadDoc::length(doc, &list));
                doc.insert(list, at, *value)
            }
            Edit::Set { list, at, value } => doc.put(object(doc, format!("l{list}")), usize::from(*at), *value),
            Edit::Remove { list, at } => doc.delete(object(doc, format!("l{list}")), usize::from(*at)),
        };
    }

    proptest! {
        /// Two actors edit the same maps and lists concurrently (conflicting puts, counters,
        /// deletions, list inserts); after the merge, every entry `MapReads` answers is the one the
        /// document answers, and so is every length.
        #[test]
        fn answers_what_the_document_answers(ours in prop::collection::vec(edit(), 0..30), theirs in prop::collection::vec(edit(), 0..30)) {
            let mut doc = AutoCommit::new().with_actor(ActorId::from([1u8; 16]));
            for name in ["m0", "m1"] { doc.put_object(ROOT, name, ObjType::Map).unwrap(); }
            for name in ["l0", "l1"] { doc.put_object(ROOT, name, ObjType::List).unwrap(); }
            doc.commit();
            let mut other = doc.fork().with_actor(ActorId::from([2u8; 16]));
            for e in &ours { apply(&mut doc, e); }
            for e in &theirs { apply(&mut other, e); }
            doc.merge(&mut other).unwrap();

            let reads = MapReads::new(&doc);
            let mut objects = vec![ROOT];
            while let Some(obj) = objects.pop() {
                let mut props: Vec<Prop> = (0..8).map(|k| Prop::Map(format!("k{k}"))).collect();
                props.extend(["m0", "m1", "l0", "l1"].map(|k| Prop::Map(k.into())));
                props.extend((0..40).map(Prop::Seq));
                for prop in props {
                    let expected = automerge::ReadDoc::get(&doc, &obj, prop.clone());
                    let got = reads.get(&obj, prop.clone());
                    match (&expected, &got) {
                        (Ok(e), Ok(g)) => prop_assert_eq!(e, g, "{:?} {:?}", obj, prop),
                        (Err(_), Err(_)) => {}
                        _ => prop_assert!(false, "{:?} {:?}: {:?} vs {:?}", obj, prop, expected, got),
                    }
                    if let Ok(Some((Value::Object(ObjType::Map | ObjType::List), child))) = expected
                        && !objects.contains(&child)
                        && child != obj
                    {
                        objects.push(child);
                    }
                }
                prop_assert_eq!(automerge::ReadDoc::length(&doc, &obj), reads.length(&obj));
            }
        }
    }
}
