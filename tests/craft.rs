//! Sync messages crafted by hand, as a hostile device makes them, and a raw sync request. Shared
//! by the hostile suites (through `attacker.rs`) and the relay's hostile benchmark
//! (`sync-server/benches/hostile.rs` includes this file), so it uses nothing but the document,
//! protocol and HTTP crates both have.

use homevisit_docs::DocId;
use homevisit_docs::automerge::{self, AutoCommit};
use homevisit_protocol::{DocMessage, MessageForm, RejectReason, SyncBatch, WireDocId};

/// The head of a sync request as a raw client writes it: the device of `token`, a body of
/// `declared` bytes to follow (or not: the hostile suites stall, trickle or drop it).
pub fn raw_sync_head(token: &str, declared: usize) -> String {
    format!(
        "POST /v1/sync HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {token}\r\nContent-Length: {declared}\r\n\r\n"
    )
}

/// Posts `body` to the relay at `url` as the device of `token` (`query`: e.g. `?wait_ms=N`); the
/// HTTP status and, on 200, the relay's answer.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
    query: &str,
) -> (u16, Option<SyncBatch>) {
    let response = http
        .post(format!("{url}/v1/sync{query}"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, (status == 200).then(|| SyncBatch::decode(&body).unwrap()))
}

/// "What do you have?" about `doc`, with no changes: what a peer asks first.
pub fn question(doc: DocId) -> DocMessage {
    let message = automerge::sync::SyncDoc::generate_sync_message(&AutoCommit::new().sync(), &mut Default::default());
    DocMessage::sync(doc.into(), message.expect("a first message").encode())
}

/// `content` whole, as a device sends a document the relay has never synced with it.
pub fn snapshot(doc: DocId, content: &mut AutoCommit) -> DocMessage {
    DocMessage {
        doc: doc.into(),
        form: MessageForm::Snapshot,
        data: content.save(),
        heads: content.get_heads().iter().map(|h| h.0).collect(),
    }
}

/// A sync message that carries every change of `content` at once (as a peer that believes the
/// relay has nothing would send).
pub fn sync_with_changes(doc: DocId, content: &mut AutoCommit) -> DocMessage {
    let changes: Vec<Vec<u8>> = content.get_changes(&[]).into_iter().map(|mut c| c.bytes().to_vec()).collect();
    let message = automerge::sync::Message {
        heads: content.get_heads(),
        need: vec![],
        have: vec![automerge::sync::Have { last_sync: vec![], bloom: automerge::sync::BloomFilter::default() }],
        changes: changes.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    DocMessage::sync(doc.into(), message.encode())
}

/// Why the relay refused `doc` in `reply`, if it did.
pub fn refusal(reply: &SyncBatch, doc: DocId) -> Option<RejectReason> {
    let wire = WireDocId::from(doc);
    reply.rejected.iter().find(|r| r.doc == wire).map(|r| r.reason)
}
