-- Documents stored as they were received, not yet loaded (a visit's notes received whole: see
-- Store::apply_received). The first load of one checks it in full (Automerge's verification of its
-- heads, and homevisit_docs::check); one that fails is an error about that document then.
CREATE TABLE unloaded_documents (doc_id TEXT PRIMARY KEY);
