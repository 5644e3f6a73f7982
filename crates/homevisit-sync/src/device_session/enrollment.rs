//! Enrollment: a relay address and the invite code a coordinator gave -> this device's id and
//! credentials, which [`super::save`] keeps in the store.

use super::credentials::{Credentials, DeviceToken};
use crate::DeviceId;
use crate::client::{self, ClientError};

/// A new enrollment: the relay's id for this device, and the credentials to save.
#[derive(Debug)]
pub struct Enrollment {
    pub device_id: DeviceId,
    pub credentials: Credentials,
}

/// Exchanges an invite code for this device's credentials (network only: save them next). The
/// address and the code are trimmed (pasted text often carries a newline).
pub async fn enroll(relay_url: &str, invite: &str) -> Result<Enrollment, ClientError> {
    let relay_url = relay_url.trim();
    let client::Enrollment { device_id, token } = client::enroll(relay_url, invite.trim()).await?;
    Ok(Enrollment {
        device_id,
        credentials: Credentials { relay_url: relay_url.to_string(), token: DeviceToken::new(token) },
    })
}
