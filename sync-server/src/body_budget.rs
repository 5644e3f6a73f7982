//! Memory for the sync bodies being read at once.
//!
//! A request's body is read before it waits for a permit to be worked on ([`crate::admission`]):
//! a device that sends its body slowly (a phone on a poor uplink, or a hostile device trickling
//! bytes) then holds a connection and the memory its body will take, never one of the few
//! permits, so it cannot stop the relay working for everyone else. What bounds the memory
//! instead is this budget: a body declared over [`SMALL_BODY_BYTES`] (or not declared, chunked:
//! counted at [`MAX_BODY_BYTES`]) takes its length from [`BODY_BYTES_READING`] before a byte of
//! it is read, and gives it back once the request is done; waiting for room is bounded like
//! waiting for a permit (past it: 503 before the body is read). Small bodies (a day's sync, a
//! keystroke) need no room: the connection limit bounds them (1,024 × 64 KB). So slow large
//! bodies can only hold up other large bodies, and a device has at most a few of its own in
//! flight (its place in line: [`crate::admission::Admission::reserve`]).

use std::sync::Arc;
use std::time::Duration;

use homevisit_protocol::MAX_BODY_BYTES;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::admission::Overloaded;
use crate::{RelayError, env_setting};

const ROOM_SETTING: &str = "HOMEVISIT_RELAY_BODY_BYTES_READING";

/// Bodies declared at most this long are read without taking room.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Room for the larger bodies being read or worked on at once, by default
/// (`HOMEVISIT_RELAY_BODY_BYTES_READING`): eight maximal bodies.
pub const BODY_BYTES_READING: usize = 128 * 1024 * 1024;

/// The budget counts in KiB (a semaphore's permits are `u32`).
const UNIT: usize = 1024;

pub struct BodyBudget {
    room: Arc<Semaphore>,
    max_wait: Duration,
}

/// Room taken for one body: given back when dropped.
#[derive(Debug)]
pub struct BodyRoom {
    _taken: Option<OwnedSemaphorePermit>,
}

impl BodyBudget {
    /// `bytes` of room, a body waiting at most `max_wait` for its share.
    pub fn new(bytes: usize, max_wait: Duration) -> Self {
        Self { room: Arc::new(Semaphore::new((bytes / UNIT).max(1))), max_wait }
    }

    /// The room the environment sets (`HOMEVISIT_RELAY_BODY_BYTES_READING`), else
    /// [`BODY_BYTES_READING`]; refused below one maximal body, which could then never be read
    /// (every large sync would wait out `max_wait` and be turned away).
    pub(crate) fn from_env(max_wait: Duration) -> Result<Self, RelayError> {
        let bytes = env_setting::positive(ROOM_SETTING, BODY_BYTES_READING)?;
        Ok(Self::new(at_least_one_maximal_body(bytes)?, max_wait))
    }

    /// Room for a body whose declared length is `declared` (`None`: chunked, at most
    /// [`MAX_BODY_BYTES`]): none for a small one; else its length, waiting at most the bound.
    pub async fn reserve(&self, declared: Option<usize>) -> Result<BodyRoom, Overloaded> {
        let len = declared.unwrap_or(MAX_BODY_BYTES).min(MAX_BODY_BYTES);
        if len <= SMALL_BODY_BYTES {
            return Ok(BodyRoom { _taken: None });
        }
        let units = u32::try_from(len.div_ceil(UNIT)).map_err(|_| Overloaded)?;
        match tokio::time::timeout(self.max_wait, self.room.clone().acquire_many_owned(units)).await {
            Ok(Ok(permit)) => Ok(BodyRoom { _taken: Some(permit) }),
            // Timed out (or closed, which never happens): the relay is at its limits.
            _ => Err(Overloaded),
        }
    }
}

fn at_least_one_maximal_body(bytes: usize) -> Result<usize, RelayError> {
    if bytes < MAX_BODY_BYTES {
        return Err(RelayError::Io(format!("{ROOM_SETTING} must be at least {MAX_BODY_BYTES} (one maximal body)")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: usize = 1024 * 1024;

    #[test]
    fn room_for_less_than_one_maximal_body_is_refused() {
        assert!(at_least_one_maximal_body(MAX_BODY_BYTES - 1).is_err());
        assert_eq!(at_least_one_maximal_body(MAX_BODY_BYTES).unwrap(), MAX_BODY_BYTES);
    }

    #[tokio::test]
    async fn small_bodies_take_no_room_and_large_ones_wait_for_it_within_the_bound() {
        let budget = BodyBudget::new(20 * MB, Duration::from_millis(100));
        let first = budget.reserve(Some(MAX_BODY_BYTES)).await.expect("room for one maximal body");
        // A chunked body counts as a maximal one: no room left for it.
        assert_eq!(budget.reserve(None).await.unwrap_err(), Overloaded);
        assert!(budget.reserve(Some(3 * MB)).await.is_ok(), "what is left fits a smaller one");
        for _ in 0..100 {
            budget.reserve(Some(SMALL_BODY_BYTES)).await.expect("a small body never waits");
        }
        let _held: Vec<BodyRoom> =
            vec![budget.reserve(Some(2 * MB)).await.unwrap(), budget.reserve(Some(2 * MB)).await.unwrap()];
        assert_eq!(budget.reserve(Some(SMALL_BODY_BYTES + 1)).await.unwrap_err(), Overloaded, "the budget is spent");
        drop(first);
        assert!(budget.reserve(Some(MAX_BODY_BYTES)).await.is_ok(), "given back when the request is done");
    }
}
