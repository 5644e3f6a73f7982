//! The relay's audit trail against a real relay process (embedded, or PostgreSQL when
//! `HOMEVISIT_TEST_POSTGRES` is set): an enrollment and a hostile device's refused writes are
//! recorded with ids and codes, never a name; the trail's chain verifies; the storage refuses to
//! change or remove an entry; a device's flood of refusals is audited only up to its bound.

use homevisit_docs::automerge::ActorId;
use homevisit_docs::{DocId, DocKind, create_record};
use std::time::Duration;

use homevisit_e2e::attacker::{self, Device, educator, metric, new_family, refusal, snapshot, visit_of};
use homevisit_model::Family;
use homevisit_protocol::RejectReason;
use homevisit_relay::Relay;
use homevisit_relay::audit::{self, AuditEvent, REFUSALS_PER_MINUTE};

/// The relay process every test here starts (see `homevisit_e2e::RelayProcess`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the audit tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollments_and_refused_writes_are_audited_by_id_and_the_trail_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = attacker::seeded_relay(&dir.path().join("relay"), "relay_process", "", &[]);
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    attacker.sync().await;

    // She overwrites another school's family record (its real id, her wording): forbidden.
    let victim = visit_of(&data, &["Sami Haddad", "Priya Patel"]);
    let family = data.families.iter().find(|f| f.id == victim.plan.family_id).unwrap();
    let family_doc = DocId::new(DocKind::Family, family.id.uuid());
    let forged = Family { display_name: "Forged family name".into(), ..family.clone() };
    let (status, reply) =
        attacker.send(vec![snapshot(family_doc, &mut create_record(&forged, &ActorId::random()).unwrap())]).await;
    assert_eq!(status, 200);
    assert_eq!(refusal(&reply.unwrap(), family_doc), Some(RejectReason::Forbidden));

    let entries = audit::all_entries(admin.audit()).unwrap();
    let device = entries.iter().find(|e| e.action == "enrolled").expect("the enrollment is audited");
    assert!(device.detail.starts_with("educator "), "{device:?}");
    let refused = entries.iter().find(|e| e.action == "refused").expect("the refused write is audited");
    assert_eq!((refused.subject.as_str(), refused.detail.as_str()), (family_doc.to_string().as_str(), "forbidden"));
    assert_eq!(refused.actor, format!("device {}", device.subject), "by the device that sent it");
    assert!(entries.iter().any(|e| e.action == "imported"), "the district's import is audited");

    // Ids and codes only: no name of any family or educator, nor the forged text.
    let text: String =
        entries.iter().map(|e| format!("{} {} {} {} {}\n", e.actor, e.action, e.subject, e.detail, e.at)).collect();
    let names = data
        .families
        .iter()
        .map(|f| f.display_name.as_str())
        .chain(data.educators.iter().map(|e| e.display_name.as_str()));
    for name in names.chain(["Forged family name"]) {
        assert!(!text.contains(name), "the audit trail names {name:?}:\n{text}");
    }

    // An administrator's action joins the same chain, which verifies.
    let device_id: homevisit_sync::DeviceId = device.subject.parse().expect("the enrolled device's id");
    admin.audit_operator(&[AuditEvent::Revoked { device: device_id }]).unwrap();
    let entries = audit::all_entries(admin.audit()).unwrap();
    assert_eq!(audit::first_broken(&entries), None);
    assert_eq!(entries.last().unwrap().actor, "operator");

    // Whoever holds the storage cannot change or remove an entry through it.
    for sql in ["UPDATE audit_log SET detail = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"] {
        let refused = execute_on_storage(&dir.path().join("relay"), sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert_eq!(audit::first_broken(&audit::all_entries(admin.audit()).unwrap()), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_refused_writes_is_audited_up_to_the_bound_per_device() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = attacker::seeded_relay(&dir.path().join("relay"), "relay_process", "", &[]);
    let (rivera, chen) = (educator(&data, "Elena Rivera"), educator(&data, "David Chen"));
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let colleague = Device::enroll(&admin, &relay.url(), dir.path(), chen).await;
    let elsewhere = data.families.iter().find(|f| f.school_id != rivera.school_id).unwrap();
    let bound = REFUSALS_PER_MINUTE as usize;

    // In one request (so the relay audits them all within the same instant: no time for its
    // budget to refill), 40 more forbidden writes than the bound: each is refused...
    let flood = bound + 40;
    let forged: Vec<_> = (0..flood).map(|_| new_family(elsewhere)).collect();
    let (status, reply) =
        attacker.send(forged.into_iter().map(|(doc, mut content)| snapshot(doc, &mut content)).collect()).await;
    assert_eq!(status, 200);
    let rejected = reply.unwrap().rejected;
    assert_eq!(rejected.len(), flood);
    assert!(rejected.iter().all(|r| r.reason == RejectReason::Forbidden), "every forged write is refused");
    // ...but only the bound is written to the trail; the rest are counted.
    assert_eq!(refusals_audited(&admin, &attacker), bound);
    assert_eq!(metric(&relay.url(), "homevisit_relay_audit_suppressed_total").await, 40);

    // The bound is the device's: a colleague's refused write in the same minute is audited.
    let (doc, mut content) = new_family(elsewhere);
    let (_, reply) = colleague.send(vec![snapshot(doc, &mut content)]).await;
    assert_eq!(refusal(&reply.unwrap(), doc), Some(RejectReason::Forbidden));
    assert_eq!(refusals_audited(&admin, &colleague), 1);

    // And it is a rate, not a cap for good: the device's budget refills at one a second (a
    // GCRA of 60 a minute), so a refusal after a pause is audited again.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let (doc, mut content) = new_family(elsewhere);
    let (_, reply) = attacker.send(vec![snapshot(doc, &mut content)]).await;
    assert_eq!(refusal(&reply.unwrap(), doc), Some(RejectReason::Forbidden));
    assert_eq!(refusals_audited(&admin, &attacker), bound + 1);
    assert_eq!(metric(&relay.url(), "homevisit_relay_audit_suppressed_total").await, 40);
    assert_eq!(audit::first_broken(&audit::all_entries(admin.audit()).unwrap()), None);
}

/// How many of `device`'s refusals the audit trail holds.
fn refusals_audited(admin: &Relay, device: &Device) -> usize {
    let actor = format!("device {}", device.device_id);
    let entries = audit::all_entries(admin.audit()).unwrap();
    entries.iter().filter(|e| e.action == "refused" && e.actor == actor).count()
}

/// Runs `sql` on the relay's audit table as its storage's owner would (the embedded file with the
/// relay key, or the PostgreSQL database); returns the error it gets.
fn execute_on_storage(dir: &std::path::Path, sql: &str) -> String {
    match homevisit_e2e::relay_config(dir, "127.0.0.1:0".parse().unwrap()).storage {
        homevisit_relay::Storage::Embedded => {
            let key = std::fs::read_to_string(dir.join("relay.key")).unwrap();
            let key = homevisit_store::DbKey::from_hex(key.trim()).unwrap();
            let conn =
                homevisit_store::open_encrypted(&dir.join("audit.db"), &key, rusqlite::OpenFlags::default()).unwrap();
            conn.execute(sql, []).expect_err("the audit table refuses it").to_string()
        }
        homevisit_relay::Storage::Postgres(url) => {
            let sql = sql.to_string();
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let e = client.batch_execute(&sql).expect_err("the audit table refuses it");
                e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_string())
            })
            .join()
            .unwrap()
        }
    }
}
