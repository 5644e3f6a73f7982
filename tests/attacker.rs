//! What the hostile-device suites (`tests/hostile*.rs`) share: a relay process seeded with the demo
//! district, an enrolled device that speaks the protocol itself beside a real phone store, and
//! messages crafted by hand (`craft.rs`, re-exported here).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use homevisit_docs::automerge::{ActorId, AutoCommit};
use homevisit_docs::{DocId, DocKind, create_record};
use homevisit_fixtures::DataSet;
use homevisit_model::{Educator, Family, FamilyId, VisitLog};
use homevisit_protocol::{DocMessage, SyncBatch};
use homevisit_relay::Relay;
use homevisit_relay::access::Role;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RELAY_PEER, RelayClient, enroll};

use crate::RelayProcess;
pub use crate::craft::{question, refusal, snapshot, sync_with_changes};

/// A relay process (its child test `child_test`, with `faults` armed and `settings` in its
/// environment) holding the demo district, and its administrator's handle on the same storage.
pub fn seeded_relay(
    dir: &Path,
    child_test: &'static str,
    faults: &str,
    settings: &[(&str, &str)],
) -> (RelayProcess, Arc<Relay>, DataSet) {
    let data = crate::district();
    let admin = crate::admin(dir);
    crate::import_district(&admin, &data);
    (RelayProcess::start_with(dir, child_test, faults, settings), admin, data)
}

pub fn educator<'a>(data: &'a DataSet, name: &str) -> &'a Educator {
    data.educators.iter().find(|e| e.display_name == name).expect("a demo educator")
}

/// A new family of `like`'s school, as a valid record.
pub fn new_family(like: &Family) -> (DocId, AutoCommit) {
    let mut family = like.clone();
    family.id = FamilyId::new();
    (DocId::new(DocKind::Family, family.id.uuid()), create_record(&family, &ActorId::random()).unwrap())
}

/// The value of the relay's counter `name` (its `/metrics`, at `url`).
pub async fn metric(url: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

/// The demo visit made by exactly these educators, in this order.
pub fn visit_of(data: &DataSet, names: &[&str]) -> VisitLog {
    let ids: Vec<_> = names.iter().map(|n| educator(data, n).id).collect();
    data.visits.iter().find(|(l, _)| l.plan.educator_ids == ids).expect("a demo visit").0.clone()
}

/// An enrolled educator's device: a real phone store and client behind its token, and the raw
/// protocol for crafted batches.
pub struct Device {
    pub url: String,
    pub token: String,
    /// The relay's id of the device (what its records name).
    pub device_id: homevisit_sync::DeviceId,
    http: reqwest::Client,
    pub store: Mutex<Store>,
    pub client: RelayClient,
}

impl Device {
    /// Enrolls `educator`'s device (its store in `dir`, named by the educator's id).
    pub async fn enroll(admin: &Relay, url: &str, dir: &Path, educator: &Educator) -> Device {
        let name = educator.id.to_string();
        Self::enroll_as(admin, url, dir, &educator.school_id, &Role::Educator(educator.id), &name).await
    }

    /// Enrolls a device of `role` in `school` (its store in `dir`, named `name`).
    pub async fn enroll_as(
        admin: &Relay,
        url: &str,
        dir: &Path,
        school: &homevisit_model::SchoolId,
        role: &Role,
        name: &str,
    ) -> Device {
        let code = admin.access().invite(school, role).unwrap();
        let enrollment = enroll(url, &code).await.unwrap();
        let token = enrollment.token;
        let store = Store::open(dir.join(format!("{name}.db")), &DbKey::from_bytes([5; 32])).unwrap();
        Device {
            url: url.to_string(),
            client: RelayClient::new(url, &token).unwrap(),
            device_id: enrollment.device_id,
            token,
            http: reqwest::Client::new(),
            store: Mutex::new(store),
        }
    }

    /// Posts one batch; the HTTP status and, on 200, the relay's answer.
    pub async fn send(&self, messages: Vec<DocMessage>) -> (u16, Option<SyncBatch>) {
        self.post(SyncBatch::new(messages).encode(), "").await
    }

    /// Posts a body as it is (`query`: e.g. `?wait_ms=N`).
    pub async fn post(&self, body: Vec<u8>, query: &str) -> (u16, Option<SyncBatch>) {
        crate::craft::post(&self.http, &self.url, &self.token, body, query).await
    }

    /// A sync of the real phone store.
    pub async fn sync(&self) -> homevisit_sync::SyncReport {
        self.client.sync(&self.store).await.expect("the phone syncs")
    }

    pub fn held(&self) -> BTreeSet<DocId> {
        self.store.lock().unwrap().document_ids(None).unwrap().into_iter().collect()
    }

    pub fn unsynced(&self) -> usize {
        self.store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap()
    }
}
