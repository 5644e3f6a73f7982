//! A hostile enrolled device speaking the protocol itself, and the maximal batches it sends
//! (shared by the hostile and W3 benches; each includes it with `craft`, the hostile suites'
//! crafted messages, at its crate root).

use std::time::Duration;

use automerge::ActorId;
use homevisit_docs::{DocId, DocKind, create_record};
use homevisit_model::FamilyId;
use homevisit_protocol::{DocMessage, MAX_BATCH_MESSAGES, SyncBatch};

use crate::craft;

/// A device speaking the protocol itself.
pub struct Raw {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Raw {
    /// Status 0: the connection failed (a relay may answer 429 or 503 and close the connection
    /// before a large body is sent: the client sees a reset).
    pub async fn send(&self, messages: Vec<DocMessage>) -> (u16, Option<SyncBatch>) {
        self.send_encoded(SyncBatch::new(messages).encode()).await
    }

    /// As [`Raw::send`], a batch already encoded (a hostile device sends the same bytes again
    /// without spending this process's CPU on encoding them each time).
    pub async fn send_encoded(&self, body: Vec<u8>) -> (u16, Option<SyncBatch>) {
        let sent = self
            .http
            .post(format!("{}/v1/sync", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await;
        let Ok(response) = sent else { return (0, None) };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(body) => (status, (status == 200).then(|| SyncBatch::decode(&body).ok()).flatten()),
            Err(_) => (0, None),
        }
    }

    /// Sends, waiting out the device's rate limit (the bench measures the relay, not the limit).
    #[allow(dead_code)] // the hostile bench's; w3 takes every answer as it comes
    pub async fn send_paced(&self, messages: Vec<DocMessage>) -> SyncBatch {
        loop {
            match self.send(messages.clone()).await {
                (200, Some(reply)) => return reply,
                (429, _) => tokio::time::sleep(Duration::from_millis(20)).await,
                (status, _) => panic!("HTTP {status}"),
            }
        }
    }
}

/// A maximal batch within the relay's bounds: `MAX_BATCH_MESSAGES` new family records of
/// `family`'s school (each a snapshot under a new id), so the relay checks and stores every one.
pub fn maximal_batch(family: &homevisit_model::Family) -> Vec<DocMessage> {
    (0..MAX_BATCH_MESSAGES)
        .map(|_| {
            let id = FamilyId::new();
            let record = homevisit_model::Family { id, ..family.clone() };
            craft::snapshot(
                DocId::new(DocKind::Family, id.uuid()),
                &mut create_record(&record, &ActorId::random()).unwrap(),
            )
        })
        .collect()
}
