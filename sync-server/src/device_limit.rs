//! Each device's budget of sync work: a token bucket per device, charged by what a request costs.
//!
//! A request takes one turn before its body is read (so a flood of requests is refused without
//! reading them), and once its batch is decoded, more turns for what it carries: a batch of a
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

/// The turns a decoded batch costs beyond the one its request took: so a maximal batch (1,000
/// messages in 16 MB) costs 50 + 1,024 more: more than the whole bucket, so it takes all of it,
/// and a device sending them is held to one every 20 s. Bytes are what a write costs the relay
/// (checking, sealing and storing them, about 2 s of its time for a maximal batch of new
/// records), so they are charged as the heaviest part; a phone's own uploads stay far inside the
/// burst (a first sync of 1,000 visits carries about 1 MB: 68 turns).
pub fn batch_cost(messages: usize, body_bytes: usize) -> u32 {
    let turns = messages / MESSAGES_PER_TURN + body_bytes / BODY_BYTES_PER_TURN;
    u32::try_from(turns).unwrap_or(u32::MAX)
}

/// The per-device limiter, as configured (the environment's settings, else the defaults).
pub(crate) fn from_env() -> Result<DefaultKeyedRateLimiter<DeviceId>, RelayError> {
    let nonzero =
        |name, default| env_setting::positive::<u32>(name, default).map(|n| NonZeroU32::new(n).expect("above 0"));
    let rate = nonzero("HOMEVISIT_RELAY_DEVICE_REQUESTS_PER_SECOND", SYNC_REQUESTS_PER_SECOND)?;
    let burst = nonzero("HOMEVISIT_RELAY_DEVICE_BURST", SYNC_BURST)?;
    Ok(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

/// Takes `turns` more of the device's turns at once. False if it has not that many now (a cost
/// over the whole bucket takes the whole bucket, so a district's small burst never refuses a
/// batch outright).
pub(crate) fn charge(limiter: &DefaultKeyedRateLimiter<DeviceId>, device: &DeviceId, turns: u32) -> bool {
    let Some(turns) = NonZeroU32::new(turns) else { return true };
    match limiter.check_key_n(device, turns) {
        Ok(allowed) => allowed.is_ok(),
        Err(insufficient) => match NonZeroU32::new(insufficient.0) {
            Some(all) => matches!(limiter.check_key_n(device, all), Ok(Ok(()))),
            None => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: u32, burst: u32) -> DefaultKeyedRateLimiter<DeviceId> {
        RateLimiter::keyed(
            Quota::per_second(NonZeroU32::new(rate).unwrap()).allow_burst(NonZeroU32::new(burst).unwrap()),
        )
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
    fn charging_spends_the_bucket_and_a_cost_over_the_bucket_takes_all_of_it() {
        let device = DeviceId::parse("00000000-0000-4000-8000-000000000001").unwrap();
        let other = DeviceId::parse("00000000-0000-4000-8000-000000000002").unwrap();
        let limits = limiter(1, 100);
        assert!(charge(&limits, &device, 60));
        assert!(!charge(&limits, &device, 60), "only 40 left");
        assert!(charge(&limits, &device, 40));
        assert!(!charge(&limits, &device, 1), "empty");
        assert!(charge(&limits, &device, 0), "nothing to charge");
        // Each device has its own bucket; a cost over the bucket takes it whole.
        assert!(charge(&limits, &other, 500));
        assert!(!charge(&limits, &other, 1));
    }
}
