//! Enrollment: a relay address and the invite code a coordinator gave -> this device's id,
//! credentials and identity, which [`super::save_enrolled`] keeps in the store.

use super::credentials::{Credentials, DeviceToken};
use crate::DeviceId;
use crate::client::{self, ClientError};
use crate::identity::Identity;

/// A new enrollment: the relay's id for this device, the credentials to save, and who the relay
/// says the device is (`None`: an older relay that does not say).
#[derive(Debug)]
pub struct Enrollment {
    pub device_id: DeviceId,
    pub credentials: Credentials,
    pub identity: Option<Identity>,
}

/// Exchanges an invite code for this device's credentials (network only: save them next). The
/// address and the code are trimmed (pasted text often carries a newline).
pub async fn enroll(relay_url: &str, invite: &str) -> Result<Enrollment, ClientError> {
    let relay_url = relay_url.trim();
    let answer = client::enroll(relay_url, invite.trim()).await?;
    let identity = answer.identity();
    let client::Enrollment { device_id, token, .. } = answer;
    Ok(Enrollment {
        device_id,
        credentials: Credentials { relay_url: relay_url.to_string(), token: DeviceToken::new(token) },
        identity,
    })
}
