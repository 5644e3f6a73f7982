//! [`DeviceId`]: a device's identity as the relay issued it at enrollment.

use std::fmt;
use std::str::FromStr;

use homevisit_store::PeerId;

/// A device's id, as the relay issues it when the device enrolls: a random UUID in its canonical
/// text form (36 characters: lowercase hex in groups of 8-4-4-4-12, joined by hyphens), exactly as
/// stored in the relay's `device_id` columns and sent in `/v1/enroll`'s answer. Checked once, where
/// the text comes in (a database row, the enrollment answer, an administrator's argument:
/// [`DeviceId::parse`]); anything else is refused, never normalised, so an id is stored, logged
/// and compared byte for byte as issued. The relay keeps a device's sync state under it
/// ([`DeviceId::peer`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "http", derive(serde::Deserialize), serde(try_from = "String"))]
pub struct DeviceId(String);

/// Text that is not a [`DeviceId`]. Does not repeat the text (it could be anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a device id (a UUID as the relay issues it: 8-4-4-4-12 lowercase hex digits)")]
pub struct InvalidDeviceId;

impl DeviceId {
    /// `text` as a device id, if it is one in the relay's form (see [`DeviceId`]).
    pub fn parse(text: &str) -> Result<DeviceId, InvalidDeviceId> {
        let canonical = text.len() == 36
            && text.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            });
        if canonical { Ok(DeviceId(text.to_owned())) } else { Err(InvalidDeviceId) }
    }

    /// The id as issued and stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The device as a sync peer: the relay keeps its sync state and marks under its id.
    pub fn peer(&self) -> PeerId {
        PeerId::parse(&self.0).expect("a device id is a peer id (lowercase hex and hyphens, 36 long)")
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for DeviceId {
    type Err = InvalidDeviceId;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DeviceId::parse(text)
    }
}

impl TryFrom<String> for DeviceId {
    type Error = InvalidDeviceId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        DeviceId::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_the_relays_uuids_exactly() {
        let issued = "0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d10";
        let id = DeviceId::parse(issued).unwrap();
        assert_eq!((id.as_str(), id.to_string()), (issued, issued.to_string()));
        assert_eq!(id.peer().as_str(), issued);
        assert_eq!(format!("[{id:<40}]"), format!("[{issued:<40}]"), "padded as text");
        assert_eq!(issued.parse::<DeviceId>(), Ok(id));
        for bad in [
            "",
            "relay",
            "0B1F6C2E-8F5A-4C1E-9D3B-6A7E2F4C5D10",
            "0b1f6c2e8f5a4c1e9d3b6a7e2f4c5d10",
            "{0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d10}",
            " 0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d10",
            "0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d1g",
            "0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d10-",
            "Sofia Garcia's phone",
        ] {
            assert_eq!(DeviceId::parse(bad), Err(InvalidDeviceId), "{bad:?}");
        }
    }
}
