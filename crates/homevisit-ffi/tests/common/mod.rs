//! Set-up shared by the FFI's integration tests.

use homevisit_relay::RunningRelay;
use homevisit_relay::demo::DemoInvite;

/// A relay on loopback (embedded, in `dir`) holding the demo district with visits around today,
/// and the demo's single-use invites.
pub async fn demo_relay(dir: &std::path::Path) -> (RunningRelay, Vec<DemoInvite>) {
    let relay =
        homevisit_relay::start(&homevisit_relay::Config::embedded(dir.join("relay"), "127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
    let now = chrono::Local::now();
    let invites = homevisit_relay::demo::import_demo_district(&relay.relay, now.date_naive(), *now.offset())
        .unwrap()
        .expect("an empty relay");
    (relay, invites)
}

/// The invite code printed for `name`.
pub fn code(invites: &[DemoInvite], name: &str) -> String {
    invites.iter().find(|i| i.name == name).unwrap().code.clone()
}
