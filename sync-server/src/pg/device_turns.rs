//! Each device's budget of sync work shared by every relay instance on the database
//! ([`SharedBuckets`]): one row per device holding when its bucket will be full again (the
//! "theoretical arrival time" of GCRA, the algorithm governor uses for each instance's own
//! bucket), on the database's clock so instances' clocks need not agree. Taking turns is one
//! statement, atomic under the row's lock, on an autocommit connection.

use std::sync::Arc;
use std::time::Duration;

use homevisit_sync::DeviceId;

use super::pool::Pool;
use crate::RelayError;
use crate::device_limit::{Bucket, SharedBuckets};

pub(crate) struct PgBuckets {
    pub(crate) pool: Arc<Pool>,
}

/// Takes $2 nanoseconds' worth of turns (turns x the time one turn takes to come back) if the
/// bucket, $3 nanoseconds' worth when full, holds them: a bucket full at `full_at` holds
/// (size - (full_at - now) / per turn) turns now. Answers whether they were taken and, from the
/// row as it was, how long until they would be there.
const TAKE: &str = "
WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint AS now),
taken AS (
    INSERT INTO device_turns AS d (device_id, full_at)
    SELECT $1, clock.now + $2 FROM clock
    ON CONFLICT (device_id) DO UPDATE
        SET full_at = GREATEST(d.full_at, (SELECT now FROM clock)) + $2
        WHERE GREATEST(d.full_at, (SELECT now FROM clock)) + $2 - (SELECT now FROM clock) <= $3
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM taken),
       (SELECT GREATEST(d.full_at, clock.now) + $2 - clock.now - $3 FROM device_turns d, clock WHERE d.device_id = $1)";

impl SharedBuckets for PgBuckets {
    fn take(&self, device: &DeviceId, turns: u32, bucket: Bucket) -> Result<Result<(), Duration>, RelayError> {
        let per_turn = 1_000_000_000 / i64::from(bucket.per_second.max(1));
        let (cost, size) = (per_turn * i64::from(turns.min(bucket.size)), per_turn * i64::from(bucket.size));
        self.pool.run_prepared(|conn| {
            let take = conn.statements.prepared(&mut conn.client, TAKE)?;
            let row = conn.client.query_one(&take, &[&device.as_str(), &cost, &size])?;
            if row.get::<_, bool>(0) {
                return Ok(Ok(()));
            }
            let wait = row.get::<_, Option<i64>>(1).unwrap_or(0).max(0);
            Ok(Err(Duration::from_nanos(wait as u64)))
        })
    }
}

#[cfg(test)]
mod tests {
    //! Run when `HOMEVISIT_TEST_POSTGRES` names a server (`scripts/with-postgres`).

    use super::*;
    use crate::pg::test_schema::TestSchema;
    use crate::{Relay, Storage};

    #[test]
    fn a_shared_bucket_empties_says_when_it_will_hold_enough_and_refills() {
        let Some(schema) = TestSchema::new("hv_turns", "shared budget run") else { return };
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Postgres(schema.url.clone())).unwrap();
        let buckets = relay.backend.shared_buckets().expect("PostgreSQL shares buckets");
        // Ten turns, one back every 100 ms.
        let bucket = Bucket { per_second: 10, size: 10 };
        let new_device = || DeviceId::parse(&uuid::Uuid::new_v4().to_string()).unwrap();
        let (device, other) = (new_device(), new_device());
        assert_eq!(buckets.take(&device, 10, bucket).unwrap(), Ok(()), "a new device's bucket is full");
        let Err(wait) = buckets.take(&device, 3, bucket).unwrap() else { panic!("the bucket is empty") };
        assert!(wait > Duration::from_millis(200) && wait <= Duration::from_millis(300), "{wait:?}");
        assert_eq!(buckets.take(&other, 10, bucket).unwrap(), Ok(()), "each device has its own");
        std::thread::sleep(wait);
        assert_eq!(buckets.take(&device, 3, bucket).unwrap(), Ok(()), "three came back");
        assert!(buckets.take(&device, 3, bucket).unwrap().is_err());
        drop(relay);
    }
}
