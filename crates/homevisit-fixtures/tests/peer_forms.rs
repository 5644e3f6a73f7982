//! The port produces exactly what the peer's generator produces (golden file made by running
//! `makeDebrief(i)` of `shared/peers/automerge-repo/lib/form.mjs` under node for i = 0,1,2,3,999).

use homevisit_fixtures::forms::{PEER_SEED, data_set, make_debrief};

#[test]
fn forms_match_the_peer_generator_byte_for_byte() {
    let golden: serde_json::Value = serde_json::from_str(include_str!("golden/peer-forms.json")).unwrap();
    let ours: Vec<serde_json::Value> =
        [0, 1, 2, 3, 999].iter().map(|i| serde_json::to_value(make_debrief(*i, PEER_SEED)).unwrap()).collect();
    assert_eq!(serde_json::Value::Array(ours), golden);
    // ~1.75 KB of JSON per form, as the peer's README says.
    let bytes = serde_json::to_string(&make_debrief(0, PEER_SEED)).unwrap().len();
    assert_eq!(bytes, 1754);
}

#[test]
fn data_sets_are_deterministic_and_valid() {
    let a = data_set(200);
    let b = data_set(200);
    assert_eq!(a.visits.len(), 200);
    assert_eq!(a.visits[17].0, b.visits[17].0);
    for (log, _) in &a.visits {
        homevisit_model::validate::validate_plan(&log.plan, &a.educators).unwrap();
        homevisit_model::validate::validate_outcome(&log.plan, &log.outcome).unwrap();
    }
}
