//! Each device's budget of sync work: a token bucket per device, charged by what a request costs.
//!
//! A request takes one turn, and the turns its declared body length costs, before its body is read
//! (so a flood of requests, or a device that cannot pay for a large body, is refused without the
//! relay reading it), and once its batch is decoded, more turns for the messages it carries: a batch of a
//! thousand new documents costs the relay far more than a keystroke does. The bucket holds a large
//! burst, so two people typing at full speed are never paced (each keystroke is a turn or two),
//! while a device sending maximal batches spends its burst after a handful of them and is then held
//! to a few per minute. Relay instances sharing one PostgreSQL database share each device's bucket
//! too ([`SharedBuckets`], kept on the database's clock), so a device gets one budget however
//! many instances it reaches.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
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

/// A device's bucket: `per_second` turns come back each second, up to `size`.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    pub per_second: u32,
    pub size: u32,
}

/// Devices' buckets kept in the storage that several relay instances share (PostgreSQL): without
/// it each instance keeps its own, and a device spreading its requests over k instances spends k
/// bursts and k times the sustained rate.
pub trait SharedBuckets: Send + Sync {
    /// Takes `turns` (at most `bucket.size`) of `device`'s bucket now, on the storage's clock:
    /// `Ok(Ok(()))` taken; `Ok(Err(wait))` it holds fewer, and will hold them after `wait`.
    fn take(&self, device: &DeviceId, turns: u32, bucket: Bucket) -> Result<Result<(), Duration>, RelayError>;
}

/// Each device's budget: this instance's bucket per device, and the buckets every instance shares
/// where there is more than one.
pub(crate) struct DeviceBudget {
    /// Checked first: a flood is refused here without asking the storage.
    local: DefaultKeyedRateLimiter<DeviceId>,
    shared: Option<Arc<dyn SharedBuckets>>,
    bucket: Bucket,
}

impl DeviceBudget {
    /// The budget as configured (the environment's settings, else the defaults), with `shared`
    /// buckets if the storage keeps them.
    pub(crate) fn from_env(shared: Option<Arc<dyn SharedBuckets>>) -> Result<Self, RelayError> {
        let nonzero =
            |name, default| env_setting::positive::<u32>(name, default).map(|n| NonZeroU32::new(n).expect("above 0"));
        let rate = nonzero("HOMEVISIT_RELAY_DEVICE_REQUESTS_PER_SECOND", SYNC_REQUESTS_PER_SECOND)?;
        let burst = nonzero("HOMEVISIT_RELAY_DEVICE_BURST", SYNC_BURST)?;
        Ok(Self::new(rate, burst, shared))
    }

    fn new(rate: NonZeroU32, burst: NonZeroU32, shared: Option<Arc<dyn SharedBuckets>>) -> Self {
        DeviceBudget {
            local: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            shared,
            bucket: Bucket { per_second: rate.get(), size: burst.get() },
        }
    }

    /// What a request costs before its body is read: its turn, and what its declared length
    /// (`Content-Length`) costs, so a device whose budget cannot pay for the body is refused
    /// without the relay reading it (or holding a permit while it arrives). No declared length
    /// (a chunked body) pays for its body once it is read. At most the whole bucket.
    pub(crate) fn request_cost(&self, declared: Option<usize>) -> u32 {
        declared.map_or(0, body_cost).saturating_add(1).min(self.bucket.size)
    }

    /// Once the batch is decoded: what the request costs in all (its turn and [`batch_cost`], at
    /// most the whole bucket) beyond the `paid` turns [`DeviceBudget::request_cost`] charged. So
    /// a request over the bucket takes the whole bucket, and is allowed only from a full one (a
    /// district's small burst never refuses a batch outright).
    pub(crate) fn rest_cost(&self, paid: u32, messages: usize, body_bytes: usize) -> u32 {
        batch_cost(messages, body_bytes).saturating_add(1).min(self.bucket.size).saturating_sub(paid)
    }

    /// Takes `turns` (at most the bucket's size) of the device's budget now: of this instance's
    /// bucket, then of the shared one. `Err(wait)`: it has not that many now, and will after `wait`.
    pub(crate) async fn take(&self, device: &DeviceId, turns: u32) -> Result<(), Duration> {
        let Some(n) = NonZeroU32::new(turns.min(self.bucket.size)) else { return Ok(()) };
        match self.local.check_key_n(device, n) {
            Ok(Ok(())) => {}
            Ok(Err(not_until)) => return Err(not_until.wait_time_from(self.local.clock().now())),
            Err(_) => return Err(Duration::MAX), // over the bucket's size: not reached (capped above)
        }
        let Some(shared) = &self.shared else { return Ok(()) };
        let (shared, device, bucket) = (shared.clone(), device.clone(), self.bucket);
        let taken = tokio::task::spawn_blocking(move || shared.take(&device, n.get(), bucket))
            .await
            .unwrap_or_else(|e| Err(RelayError::Io(e.to_string())));
        // The storage failing does not refuse the device: this instance's bucket still holds it
        // (and the request's own work will meet the same failure, and say so).
        taken.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the shared device budget is unavailable; this instance's applies");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(rate: u32, burst: u32) -> DeviceBudget {
        DeviceBudget::new(NonZeroU32::new(rate).unwrap(), NonZeroU32::new(burst).unwrap(), None)
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

    /// Charges a request as the relay does: its turn and declared length before its body is
    /// read, the rest once its batch is decoded. `Err` says which refused it.
    async fn request(
        limits: &DeviceBudget,
        device: &DeviceId,
        declared: Option<usize>,
        messages: usize,
        body_bytes: usize,
    ) -> Result<(), &'static str> {
        let paid = limits.request_cost(declared);
        limits.take(device, paid).await.map_err(|_| "before the body")?;
        limits.take(device, limits.rest_cost(paid, messages, body_bytes)).await.map_err(|_| "after the body")
    }

    #[tokio::test]
    async fn charging_spends_the_bucket_and_a_cost_over_the_bucket_takes_all_of_a_full_one() {
        let (device, other) = (device(1), device(2));
        let limits = budget(1, 100);
        let body = |turns: usize| turns * BODY_BYTES_PER_TURN;
        // 60 turns of body, declared and then read with 19 messages: 61 in all, with its turn.
        assert_eq!(limits.request_cost(Some(body(60))), 61);
        assert_eq!(request(&limits, &device, Some(body(60)), 19, body(60)).await, Ok(()));
        assert_eq!(request(&limits, &device, Some(body(60)), 0, 0).await, Err("before the body"), "39 left");
        // A chunked body pays when it is read: 1 + 37 of the 39.
        assert_eq!(request(&limits, &device, None, 0, body(37)).await, Ok(()));
        assert_eq!(request(&limits, &device, None, 200, 0).await, Err("after the body"), "1 left, 11 asked");
        // Each device has its own bucket; a cost over the bucket takes a full one whole...
        assert_eq!(limits.request_cost(Some(body(500))), 100);
        assert_eq!(request(&limits, &other, Some(body(500)), 1000, body(500)).await, Ok(()));
        assert!(limits.take(&other, 10).await.is_err(), "empty");
    }

    #[tokio::test]
    async fn a_body_and_its_messages_over_the_bucket_are_allowed_from_a_full_one_only() {
        let limits = budget(1, 100);
        let body = 90 * BODY_BYTES_PER_TURN;
        // Its body alone fits (91 with its turn), its messages take it over (+50): from a full
        // bucket, allowed, and the bucket is empty after.
        let full = device(1);
        assert_eq!(request(&limits, &full, Some(body), 1000, body).await, Ok(()));
        assert!(limits.take(&full, 10).await.is_err(), "the whole bucket was taken");
        // From a bucket short of full: the body is paid for (81 of 90), the whole (100) is not.
        let short = device(2);
        assert_eq!(limits.take(&short, 10).await, Ok(()));
        let body = 80 * BODY_BYTES_PER_TURN;
        assert_eq!(request(&limits, &short, Some(body), 1000, body).await, Err("after the body"));
        // A declared body over the bucket asks for a full one before it is read.
        assert_eq!(request(&limits, &short, Some(500 * BODY_BYTES_PER_TURN), 0, 0).await, Err("before the body"));
    }

    /// Shared buckets that only count down (no refill), or fail.
    struct Counted(std::sync::Mutex<Option<u32>>);

    impl SharedBuckets for Counted {
        fn take(&self, _: &DeviceId, turns: u32, _: Bucket) -> Result<Result<(), Duration>, RelayError> {
            let mut left = self.0.lock().unwrap();
            let Some(left) = left.as_mut() else { return Err(RelayError::Io("the storage is down".into())) };
            if *left < turns {
                return Ok(Err(Duration::from_secs(1)));
            }
            *left -= turns;
            Ok(Ok(()))
        }
    }

    #[tokio::test]
    async fn instances_sharing_buckets_give_a_device_one_budget_and_a_failing_storage_its_own() {
        let shared = Arc::new(Counted(std::sync::Mutex::new(Some(100))));
        let instance = || {
            let shared: Arc<dyn SharedBuckets> = shared.clone();
            DeviceBudget::new(NonZeroU32::new(1).unwrap(), NonZeroU32::new(100).unwrap(), Some(shared))
        };
        let (one, two) = (instance(), instance());
        let device = device(1);
        // 70 turns on one instance: the other's own bucket is full, the shared one is not.
        assert_eq!(one.take(&device, 70).await, Ok(()));
        assert_eq!(two.take(&device, 70).await, Err(Duration::from_secs(1)));
        assert_eq!(two.take(&device, 30).await, Ok(()));
        // This instance's bucket is checked first: a flood it refuses never asks the storage.
        assert!(one.take(&device, 31).await.is_err());
        *shared.0.lock().unwrap() = None;
        assert!(one.take(&device, 31).await.is_err(), "refused by its own bucket, the storage unasked");
        // A storage that fails leaves each instance's own bucket in force.
        assert_eq!(one.take(&device, 30).await, Ok(()));
        assert!(one.take(&device, 30).await.is_err());
    }
}
