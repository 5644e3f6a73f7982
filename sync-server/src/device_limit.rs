//! Each device's budget of sync work: a token bucket per device, charged by what a request costs.
//!
//! A request takes one turn before its body is read (so a flood of requests is refused without
//! reading them), then the turns its declared body length costs, still before the body is read
//! (so a device that cannot pay for a large body is refused without the relay reading it), and
//! once its batch is decoded, more turns for the messages it carries: a batch of a
//! thousand new documents costs the relay far more than a keystroke does. The bucket holds a large
//! burst, so two people typing at full speed are never paced (each keystroke is a turn or two),
//! while a device sending maximal batches spends its burst after a handful of them and is then held
//! to a few per minute.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use homevisit_sync::DeviceId;

use crate::{RelayError, env_setting};

/// Turns one device regains per second: the sustained rate of small requests (a phone back from a
/// rural day, or a live session's pushes and looks). A district can change it with
/// `HOMEVISIT_RELAY_DEVICE_REQUESTS_PER_SECOND`.
pub const SYNC_REQUESTS_PER_SECOND: u32 = 50;

/// Turns one device may spend at once (the bucket's size): about 20 seconds of the sustained rate,
/// enough for a live co-editing burst of hundreds of keystrokes, or a first sync of several
/// thousand documents. `HOMEVISIT_RELAY_DEVICE_BURST` changes it.
pub const SYNC_BURST: u32 = 1000;

/// A batch's messages cost one more turn per this many.
pub const MESSAGES_PER_TURN: usize = 20;

/// A batch's body costs one more turn per this many bytes.
pub const BODY_BYTES_PER_TURN: usize = 16 * 1024;

/// The turns a body of `bytes` costs.
pub fn body_cost(bytes: usize) -> u32 {
    u32::try_from(bytes / BODY_BYTES_PER_TURN).unwrap_or(u32::MAX)
}

/// The turns a decoded batch costs beyond the one its request took: so a maximal batch (1,000
/// messages in 16 MB) costs 50 + 1,024 more: more than the whole bucket, so it takes all of it,
/// and a device sending them is held to one every 20 s. Bytes are what a write costs the relay
/// (checking, sealing and storing them, about 2 s of its time for a maximal batch of new
/// records), so they are charged as the heaviest part; a phone's own uploads stay far inside the
/// burst (a first sync of 1,000 visits carries about 1 MB: 68 turns).
pub fn batch_cost(messages: usize, body_bytes: usize) -> u32 {
    u32::try_from(messages / MESSAGES_PER_TURN).unwrap_or(u32::MAX).saturating_add(body_cost(body_bytes))
}

/// Each device's budget: its bucket of turns, and the bucket's size.
pub(crate) struct DeviceBudget {
    pub(crate) turns: DefaultKeyedRateLimiter<DeviceId>,
    burst: u32,
}

impl DeviceBudget {
    /// The budget as configured (the environment's settings, else the defaults).
    pub(crate) fn from_env() -> Result<Self, RelayError> {
        let nonzero =
            |name, default| env_setting::positive::<u32>(name, default).map(|n| NonZeroU32::new(n).expect("above 0"));
        let rate = nonzero("HOMEVISIT_RELAY_DEVICE_REQUESTS_PER_SECOND", SYNC_REQUESTS_PER_SECOND)?;
        let burst = nonzero("HOMEVISIT_RELAY_DEVICE_BURST", SYNC_BURST)?;
        Ok(Self::new(rate, burst))
    }

    fn new(rate: NonZeroU32, burst: NonZeroU32) -> Self {
        DeviceBudget { turns: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)), burst: burst.get() }
    }

    /// Before a body is read: the turns its declared length (`Content-Length`) costs, so a device
    /// whose budget cannot pay for the body is refused without the relay reading it (or holding
    /// a permit while it arrives). `None`: refused. A cost over the bucket is the whole bucket
    /// (see [`DeviceBudget::charge_rest`]). No declared length (a chunked body) pays nothing yet.
    pub(crate) fn charge_declared(&self, device: &DeviceId, declared: Option<usize>) -> Option<u32> {
        let paid = declared.map_or(0, body_cost).min(self.burst);
        charge(&self.turns, device, paid).then_some(paid)
    }

    /// Once the batch is decoded: what it costs ([`batch_cost`]) beyond the `paid` turns charged
    /// for its declared length. The whole is charged as one charge would be: a cost over the
    /// bucket takes the whole bucket, and is allowed only from a full one (so a district's small
    /// burst never refuses a batch outright).
    pub(crate) fn charge_rest(&self, device: &DeviceId, paid: u32, messages: usize, body_bytes: usize) -> bool {
        let owed = batch_cost(messages, body_bytes).min(self.burst);
        charge(&self.turns, device, owed.saturating_sub(paid))
    }
}

/// Takes `turns` more of the device's turns at once, `turns` at most the bucket's size. False if
/// it has not that many now.
fn charge(limiter: &DefaultKeyedRateLimiter<DeviceId>, device: &DeviceId, turns: u32) -> bool {
    let Some(turns) = NonZeroU32::new(turns) else { return true };
    matches!(limiter.check_key_n(device, turns), Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(rate: u32, burst: u32) -> DeviceBudget {
        DeviceBudget::new(NonZeroU32::new(rate).unwrap(), NonZeroU32::new(burst).unwrap())
    }

    fn device(n: u8) -> DeviceId {
        DeviceId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    #[test]
    fn a_maximal_batch_costs_more_than_the_whole_bucket_and_a_keystroke_nothing() {
        assert_eq!(batch_cost(homevisit_protocol::MAX_BATCH_MESSAGES, homevisit_protocol::MAX_BODY_BYTES), 50 + 1024);
        assert!(batch_cost(homevisit_protocol::MAX_BATCH_MESSAGES, homevisit_protocol::MAX_BODY_BYTES) > SYNC_BURST);
        assert_eq!(batch_cost(1, 300), 0);
        assert_eq!(batch_cost(19, BODY_BYTES_PER_TURN - 1), 0);
        assert_eq!(batch_cost(20, BODY_BYTES_PER_TURN), 2);
    }

    #[test]
    fn charging_spends_the_bucket_and_a_cost_over_the_bucket_takes_all_of_a_full_one() {
        let (device, other) = (device(1), device(2));
        let limits = budget(1, 100);
        // 60 turns of body, declared and then read with 19 messages: 60 in all.
        let paid = limits.charge_declared(&device, Some(60 * BODY_BYTES_PER_TURN)).unwrap();
        assert_eq!(paid, 60);
        assert!(limits.charge_rest(&device, paid, 19, 60 * BODY_BYTES_PER_TURN));
        assert_eq!(limits.charge_declared(&device, Some(60 * BODY_BYTES_PER_TURN)), None, "only 40 left");
        // A chunked body pays when it is read.
        assert_eq!(limits.charge_declared(&device, None), Some(0));
        assert!(limits.charge_rest(&device, 0, 0, 40 * BODY_BYTES_PER_TURN));
        assert!(!limits.charge_rest(&device, 0, 20, 0), "empty");
        assert!(limits.charge_rest(&device, 0, 19, 300), "nothing to charge");
        // Each device has its own bucket; a cost over the bucket takes a full one whole...
        let paid = limits.charge_declared(&other, Some(500 * BODY_BYTES_PER_TURN)).unwrap();
        assert!(limits.charge_rest(&other, paid, 1000, 500 * BODY_BYTES_PER_TURN));
        assert_eq!(limits.charge_declared(&other, Some(0)), Some(0));
        assert!(!limits.charge_rest(&other, 0, 20, 0), "empty");
    }

    #[test]
    fn a_body_and_its_messages_over_the_bucket_are_allowed_from_a_full_one_only() {
        let limits = budget(1, 100);
        // Its body alone fits (90), its messages take it over (+50): from a full bucket, allowed.
        let full = device(1);
        let paid = limits.charge_declared(&full, Some(90 * BODY_BYTES_PER_TURN)).unwrap();
        assert!(limits.charge_rest(&full, paid, 1000, 90 * BODY_BYTES_PER_TURN));
        assert!(!limits.charge_rest(&full, 0, 20, 0), "the whole bucket was taken");
        // From a bucket one turn short of full: the body is paid for, the whole is not.
        let short = device(2);
        assert!(limits.charge_rest(&short, 0, 20, 0));
        let paid = limits.charge_declared(&short, Some(90 * BODY_BYTES_PER_TURN)).unwrap();
        assert!(!limits.charge_rest(&short, paid, 1000, 90 * BODY_BYTES_PER_TURN));
        // A declared body over the bucket asks for a full one before it is read.
        assert_eq!(limits.charge_declared(&short, Some(500 * BODY_BYTES_PER_TURN)), None);
    }
}
