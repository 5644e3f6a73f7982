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
    pub async fn send(&self, messages: Vec<DocMessage>) -> (u16, Option<SyncBatch>) {
        craft::post(&self.http, &self.url, &self.token, SyncBatch::new(messages).encode(), "").await
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
