//! What happens to the body of a request refused before it was read (401, 413 from its declared
//! length, 429 from the device's budget, 503 from admission).
//!
//! Dropping it unread would close the connection with the client's bytes still arriving, and the
//! kernel answers those with a reset; a reset that reaches the client before it has read the
//! refusal discards it, so the client sees a broken connection instead of a status that says why
//! and when to retry (a phone would back off as if offline, a test of the 413 failed this way on a
//! busy machine). So the rest is read in the background and thrown away, as web servers'
//! "lingering close" does: no permit, no buffer, and bounded in bytes and time.

use std::future::poll_fn;
use std::time::Duration;

use axum::body::Body;
use homevisit_protocol::MAX_BODY_BYTES;
use hyper::body::Body as _;

/// How long a refused body is read for at most: far longer than the refusal takes to reach the
/// client, short enough that a stalled one does not hold its connection.
pub const LINGER: Duration = Duration::from_secs(3);

/// Reads and discards what is left of `body` in the background: until it ends, fails, passes
/// [`MAX_BODY_BYTES`] or [`LINGER`] has passed, whichever comes first; the connection then closes
/// or serves its next request as usual.
pub fn discard(body: Body) {
    tokio::spawn(tokio::time::timeout(LINGER, read_to_end(body, MAX_BODY_BYTES)));
}

/// Reads `body` to its end, keeping nothing, or until more than `limit` bytes or an error came.
/// Returns how many bytes were read.
async fn read_to_end(body: Body, limit: usize) -> usize {
    let mut body = std::pin::pin!(body);
    let mut read = 0usize;
    while let Some(Ok(frame)) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        read = read.saturating_add(frame.data_ref().map_or(0, |data| data.len()));
        if read > limit {
            break;
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_to_the_end_or_stops_past_the_limit() {
        assert_eq!(read_to_end(Body::from(vec![7u8; 30]), 100).await, 30);
        assert_eq!(read_to_end(Body::from(vec![7u8; 30]), 15).await, 30, "the chunk past the limit is the last");
        assert_eq!(read_to_end(Body::empty(), 15).await, 0);
    }
}
