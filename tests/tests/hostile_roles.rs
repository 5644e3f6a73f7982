//! Roles and secrets against a real relay in its own process (embedded storage, or PostgreSQL when
//! `HOMEVISIT_TEST_POSTGRES` is set): only a district administrator writes the prompt packs every
//! school's phones show, and only valid ones; a school's pack reaches that school's phones only; expired, unknown and over-long invites are refused
//! alike and at once; every enrolled device is listed with when it was last seen, revoked ones as
//! revoked.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use homevisit_docs::automerge::transaction::Transactable;
use homevisit_docs::automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, Value};
use homevisit_docs::{DocId, Record, create_record, read_record};
use homevisit_e2e::craft::{post, snapshot};
use homevisit_e2e::{RelayProcess, admin, district};
use homevisit_fixtures::DataSet;
use homevisit_model::validate::MAX_PROMPTS;
use homevisit_model::{Educator, Language, PromptPack, SchoolId, VisitNumber};
use homevisit_protocol::{DocMessage, SyncBatch, WireDocId};
use homevisit_relay::Relay;
use homevisit_relay::access::Role;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RELAY_PEER, RelayClient, enroll};

/// The relay process every test here starts (see `homevisit_e2e::RelayProcess`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the role tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

fn seeded_relay(dir: &Path) -> (RelayProcess, Arc<Relay>, DataSet) {
    let data = district();
    let admin = admin(dir);
    homevisit_e2e::import_district(&admin, &data);
    (RelayProcess::start(dir, "relay_process", ""), admin, data)
}

fn educator<'a>(data: &'a DataSet, name: &str) -> &'a Educator {
    data.educators.iter().find(|e| e.display_name == name).expect("a demo educator")
}

/// A phone enrolled as `role` in `school`: its store, client and raw token.
struct Phone {
    device_id: homevisit_sync::DeviceId,
    token: String,
    store: Mutex<Store>,
    client: RelayClient,
}

impl Phone {
    async fn enroll(admin: &Relay, url: &str, dir: &Path, name: &str, school: SchoolId, role: Role) -> Phone {
        let code = admin.access().invite(&school, &role).unwrap();
        let enrolled = enroll(url, &code).await.unwrap();
        let store = Store::open(dir.join(format!("{name}.db")), &DbKey::from_bytes([6; 32])).unwrap();
        Phone {
            device_id: enrolled.device_id,
            client: RelayClient::new(url, &enrolled.token).unwrap(),
            token: enrolled.token,
            store: Mutex::new(store),
        }
    }

    async fn sync(&self) -> homevisit_sync::SyncReport {
        self.client.sync(&self.store).await.expect("the phone syncs")
    }

    fn unsynced(&self) -> usize {
        self.store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap()
    }

    fn pack(&self, language: &Language, visit: VisitNumber) -> PromptPack {
        self.store.lock().unwrap().prompt_pack(language, visit).unwrap()
    }

    /// Posts one batch as this device; the HTTP status and, on 200, the relay's answer.
    async fn send(&self, url: &str, messages: Vec<DocMessage>) -> (u16, Option<SyncBatch>) {
        homevisit_sync::client::install_tls_provider();
        post(&reqwest::Client::new(), url, &self.token, SyncBatch::new(messages).encode(), "").await
    }
}

fn spanish_first() -> PromptPack {
    PromptPack::built_in().into_iter().find(|p| p.language == Language::spanish()).unwrap()
}

fn edited(title: &str) -> PromptPack {
    PromptPack { title: title.into(), ..spanish_first() }
}

/// The relay's copy of a pack (`None` if it has none).
fn relay_pack(relay: &Relay, id: DocId) -> Option<PromptPack> {
    relay.document(&id).unwrap().map(|doc| read_record(&doc).unwrap())
}

/// `doc` (a pack) with `n` more prompts, committed as one change: past any device-side check.
fn with_more_prompts(mut doc: AutoCommit, n: usize) -> AutoCommit {
    let data = match doc.get(ROOT, "data").unwrap() {
        Some((Value::Object(ObjType::Map), data)) => data,
        other => panic!("a record's data, not {other:?}"),
    };
    let prompts = match doc.get(&data, "prompts").unwrap() {
        Some((Value::Object(ObjType::List), prompts)) => prompts,
        other => panic!("a pack's prompts, not {other:?}"),
    };
    for _ in 0..n {
        let at = doc.length(&prompts);
        doc.insert(&prompts, at, "Another question?").unwrap();
    }
    doc.commit();
    doc
}

fn refused(reply: &SyncBatch, doc: DocId) -> bool {
    let wire = WireDocId::from(doc);
    reply.rejected.iter().any(|r| r.doc == wire)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_district_admin_writes_prompt_packs_and_only_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let url = relay.url();
    let lincoln = educator(&data, "Dana Johnson").school_id;
    let far = data.schools.iter().find(|s| s.id != lincoln).expect("a second school");
    let far_educator = data.educators.iter().find(|e| e.school_id == far.id).expect("an educator there");
    let coordinator = Phone::enroll(&admin, &url, dir.path(), "johnson", lincoln, Role::SchoolCoordinator).await;
    let district = Phone::enroll(&admin, &url, dir.path(), "district", lincoln, Role::DistrictAdmin).await;
    let elsewhere = Phone::enroll(&admin, &url, dir.path(), "far", far.id, Role::Educator(far_educator.id)).await;
    let pack_id = spanish_first().doc_id();
    let (es, first) = (Language::spanish(), VisitNumber::First);

    // A coordinator rewrites a pack: refused, and no phone of any school sees it.
    coordinator.store.lock().unwrap().put_prompt_pack(&edited("Coordinator's pack")).unwrap();
    let report = coordinator.sync().await;
    assert!(report.refused_by_peer.iter().any(|(d, _)| *d == pack_id), "{report:?}");
    assert_eq!(relay_pack(&admin, pack_id), None);
    elsewhere.sync().await;
    assert_eq!(elsewhere.pack(&es, first), spanish_first(), "the built-in pack, not the coordinator's");

    // The district administrator's pack reaches every school.
    let official = edited("Primera visita (distrito)");
    district.store.lock().unwrap().put_prompt_pack(&official).unwrap();
    let report = district.sync().await;
    assert!(report.refused_by_peer.is_empty(), "{report:?}");
    assert_eq!(district.unsynced(), 0);
    assert_eq!(relay_pack(&admin, pack_id).as_ref(), Some(&official));
    elsewhere.sync().await;
    assert_eq!(elsewhere.pack(&es, first), official);

    // The coordinator, now holding the district's pack, edits it: refused, the relay's unchanged.
    coordinator.sync().await;
    coordinator.store.lock().unwrap().put_prompt_pack(&edited("Coordinator again")).unwrap();
    let report = coordinator.sync().await;
    assert!(report.refused_by_peer.iter().any(|(d, _)| *d == pack_id), "{report:?}");
    assert_eq!(relay_pack(&admin, pack_id).as_ref(), Some(&official));

    // Invalid packs, even from the district administrator: one prompt too many...
    let mut too_many = with_more_prompts(admin.document(&pack_id).unwrap().unwrap(), MAX_PROMPTS);
    let (status, reply) = district.send(&url, vec![snapshot(pack_id, &mut too_many)]).await;
    assert_eq!(status, 200);
    assert!(refused(&reply.unwrap(), pack_id), "an edit to {MAX_PROMPTS}+ prompts is refused");
    // ...as a new pack, in another language...
    let vietnamese = PromptPack { language: Language::parse("vi").unwrap(), ..official.clone() };
    let vi_id = vietnamese.doc_id();
    let mut doc = with_more_prompts(create_record(&vietnamese, &ActorId::random()).unwrap(), MAX_PROMPTS);
    let (_, reply) = district.send(&url, vec![snapshot(vi_id, &mut doc)]).await;
    assert!(refused(&reply.unwrap(), vi_id));
    assert_eq!(relay_pack(&admin, vi_id), None);
    // ...and a pack under another pack's id (the id is its language and visit number): refused
    // as a new document...
    let french = homevisit_docs::prompt_pack_doc_id("fr", 1);
    let mut posing = create_record(&vietnamese, &ActorId::random()).unwrap();
    let (_, reply) = district.send(&url, vec![snapshot(french, &mut posing)]).await;
    assert!(refused(&reply.unwrap(), french));
    assert_eq!(relay_pack(&admin, french), None);
    // ...and, sent under an existing pack's id, whatever the merge keeps still checks as that
    // pack (Spanish, visit 1): it cannot become another one.
    let mut posing = create_record(&vietnamese, &ActorId::random()).unwrap();
    district.send(&url, vec![snapshot(pack_id, &mut posing)]).await;
    let stored = admin.document(&pack_id).unwrap().unwrap();
    assert!(homevisit_docs::check(&pack_id, &stored).is_ok());
    let kept: PromptPack = read_record(&stored).unwrap();
    assert_eq!((&kept.language, kept.visit_number), (&es, first));
    // A valid pack in that language is accepted.
    let mut doc = create_record(&vietnamese, &ActorId::random()).unwrap();
    let (_, reply) = district.send(&url, vec![snapshot(vi_id, &mut doc)]).await;
    assert!(!refused(&reply.unwrap(), vi_id));

    // What the relay acknowledged survives kill -9.
    let _relay = relay.kill_9_and_restart();
    let after = homevisit_e2e::admin(&dir.path().join("relay"));
    assert_eq!(relay_pack(&after, pack_id).as_ref(), Some(&kept));
    assert_eq!(relay_pack(&after, vi_id).as_ref(), Some(&vietnamese));
}

fn school_pack(school: SchoolId, title: &str) -> PromptPack {
    PromptPack { school_id: Some(school), ..edited(title) }
}

fn holds(phone: &Phone, id: DocId) -> bool {
    phone.store.lock().unwrap().contains_document(&id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schools_pack_is_written_by_a_district_admin_and_read_only_by_that_school() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let url = relay.url();
    let lincoln = educator(&data, "Dana Johnson").school_id;
    let rivera = educator(&data, "Elena Rivera");
    assert_eq!(rivera.school_id, lincoln);
    let far = data.schools.iter().find(|s| s.id != lincoln).expect("a second school");
    let far_educator = data.educators.iter().find(|e| e.school_id == far.id).expect("an educator there");
    let coordinator = Phone::enroll(&admin, &url, dir.path(), "johnson", lincoln, Role::SchoolCoordinator).await;
    let teacher = Phone::enroll(&admin, &url, dir.path(), "rivera", lincoln, Role::Educator(rivera.id)).await;
    let elsewhere = Phone::enroll(&admin, &url, dir.path(), "far", far.id, Role::Educator(far_educator.id)).await;
    // The district administrator's device is enrolled at the *other* school: packs are the
    // district's, whichever school they are for.
    let district = Phone::enroll(&admin, &url, dir.path(), "district", far.id, Role::DistrictAdmin).await;
    let pack_id = school_pack(lincoln, "-").doc_id();
    assert_eq!(pack_id, homevisit_docs::school_prompt_pack_doc_id(Some(lincoln), "es", 1));
    let (es, first) = (Language::spanish(), VisitNumber::First);

    // The school's own coordinator and teacher write a pack for it: refused, nothing stored.
    for (phone, title) in [(&coordinator, "Johnson's pack"), (&teacher, "Rivera's pack")] {
        phone.store.lock().unwrap().put_prompt_pack(&school_pack(lincoln, title)).unwrap();
        let report = phone.sync().await;
        assert!(report.refused_by_peer.iter().any(|(d, _)| *d == pack_id), "{title}: {report:?}");
        assert_eq!(relay_pack(&admin, pack_id), None, "{title}");
    }

    // The district administrator's pack for the school is accepted...
    let official = school_pack(lincoln, "Lincoln: primera visita");
    district.store.lock().unwrap().put_prompt_pack(&official).unwrap();
    let report = district.sync().await;
    assert!(report.refused_by_peer.is_empty(), "{report:?}");
    assert_eq!(relay_pack(&admin, pack_id).as_ref(), Some(&official));

    // ...reaches the school's phones, which show it before the district's and built-in packs...
    let fresh = Phone::enroll(&admin, &url, dir.path(), "rivera-2", lincoln, Role::Educator(rivera.id)).await;
    fresh.sync().await;
    assert!(holds(&fresh, pack_id));
    assert_eq!(fresh.pack(&es, first), official);
    assert_eq!(fresh.pack(&Language::parse("es-MX").unwrap(), first), official);

    // ...and is neither offered to nor answered for a device of another school.
    elsewhere.sync().await;
    assert!(!holds(&elsewhere, pack_id), "another school's pack is not offered");
    assert_eq!(elsewhere.pack(&es, first), spanish_first());
    let mut copy = create_record(&official, &ActorId::random()).unwrap();
    let (status, reply) = elsewhere.send(&url, vec![snapshot(pack_id, &mut copy)]).await;
    assert_eq!(status, 200);
    assert!(refused(&reply.unwrap(), pack_id), "nor written by it");
    assert_eq!(relay_pack(&admin, pack_id).as_ref(), Some(&official));

    // A pack from the administrator naming Lincoln but sent under the other school's id is
    // refused: its id and its school must agree.
    let posing_id = homevisit_docs::school_prompt_pack_doc_id(Some(far.id), "es", 1);
    let mut posing = create_record(&school_pack(lincoln, "Posing"), &ActorId::random()).unwrap();
    posing.put(ROOT, "id", posing_id.id.hyphenated().to_string()).unwrap();
    posing.commit();
    let (_, reply) = district.send(&url, vec![snapshot(posing_id, &mut posing)]).await;
    assert!(refused(&reply.unwrap(), posing_id));
    assert_eq!(relay_pack(&admin, posing_id), None);
}

/// Posts an enrollment body; the status (`None`: the relay closed the connection while the body
/// was being sent, having refused it from its length), the answer's text and how long it took.
async fn post_enroll(url: &str, body: Vec<u8>) -> (Option<u16>, String, Duration) {
    homevisit_sync::client::install_tls_provider();
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/enroll"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) => {
            let status = r.status().as_u16();
            (Some(status), r.text().await.unwrap_or_default(), started.elapsed())
        }
        Err(_) => (None, String::new(), started.elapsed()),
    }
}

fn invite_body(code: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "invite": code })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_unknown_and_over_long_invites_are_refused_alike_and_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let url = relay.url();
    let school = educator(&data, "Dana Johnson").school_id;

    let expired = admin.access().invite_valid_for(&school, &Role::SchoolCoordinator, Duration::ZERO).unwrap();
    let unknown = "0123456789abcdef01234567";
    let (status, unknown_text, _) = post_enroll(&url, invite_body(unknown)).await;
    assert_eq!(status, Some(401));
    let (status, text, _) = post_enroll(&url, invite_body(&expired)).await;
    assert_eq!((status, &text), (Some(401), &unknown_text), "an expired invite is answered like an unknown one");

    // Over-long codes: refused before hashing (65 characters; 3 KB, within the body bound)...
    for long in [65, 3 << 10] {
        let (status, text, took) = post_enroll(&url, invite_body(&"a".repeat(long))).await;
        assert_eq!((status, &text), (Some(401), &unknown_text), "{long} characters");
        assert!(took < Duration::from_secs(2), "{long} characters took {took:?}");
    }
    // ...and a forged 8 MB one is not even read.
    let (status, _, took) = post_enroll(&url, invite_body(&"a".repeat(8 << 20))).await;
    assert!(matches!(status, Some(413) | None), "{status:?}");
    assert!(took < Duration::from_secs(2), "8 MB took {took:?}");

    // The relay goes on: a valid invite enrolls, and the expired one stays refused.
    let valid = admin.access().invite(&school, &Role::SchoolCoordinator).unwrap();
    assert!(enroll(&url, &valid).await.is_ok());
    assert!(enroll(&url, &expired).await.is_err());
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_listed_with_last_seen_and_revoked_ones_as_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let url = relay.url();
    let rivera = educator(&data, "Elena Rivera");
    let phone = Phone::enroll(&admin, &url, dir.path(), "rivera", rivera.school_id, Role::Educator(rivera.id)).await;
    let lost = Phone::enroll(&admin, &url, dir.path(), "lost", rivera.school_id, Role::SchoolCoordinator).await;
    let before = chrono::Utc::now();
    phone.sync().await;

    let listed = admin.access().devices().unwrap();
    let find = |id: &homevisit_sync::DeviceId| listed.iter().find(|d| d.device_id == *id).cloned().expect("listed");
    let seen = find(&phone.device_id);
    assert_eq!(seen.enrollment, Ok((rivera.school_id, Role::Educator(rivera.id))));
    let last_seen = seen.last_seen_at.expect("seen when it synced");
    assert!(last_seen >= before - chrono::Duration::seconds(1) && seen.enrolled_at <= last_seen, "{seen:?}");
    assert_eq!(seen.revoked_at, None);
    assert_eq!(find(&lost.device_id).last_seen_at, None, "enrolled, never synced");

    // The lost phone is found and revoked: listed as revoked, and refused from then on.
    assert!(admin.access().revoke(&lost.device_id).unwrap());
    let listed = admin.access().devices().unwrap();
    let revoked = listed.iter().find(|d| d.device_id == lost.device_id).unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(lost.client.sync(&lost.store).await.is_err());
    assert!(listed.iter().all(|d| d.enrollment.is_ok()));
    drop(relay);
}
