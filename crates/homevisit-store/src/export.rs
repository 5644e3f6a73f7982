//! Export of everything on the device as JSON, for admins and for a district's deletion requests
//! ("show me what you hold"). The caller decides where it goes; nothing here writes files.

use homevisit_docs::DocKind;
use serde_json::{Value, json};

use crate::Store;
use crate::error::Result;

impl Store {
    /// Every document as JSON, grouped by kind: `{ "visit-log": [..], "visit-notes": [..], ... }`.
    pub fn export_json(&mut self) -> Result<Value> {
        let mut out = serde_json::Map::new();
        for kind in DocKind::ALL {
            let mut docs = Vec::new();
            for id in self.document_ids(Some(kind))? {
                docs.push(json!({ "doc_id": id.to_string(), "content": self.document_json(&id)? }));
            }
            out.insert(kind.as_str().to_string(), Value::Array(docs));
        }
        Ok(Value::Object(out))
    }
}
