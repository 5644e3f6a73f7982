//! No panic crosses the FFI as one. UniFFI 0.32 already catches a panic in every exported call
//! (`catch_unwind` around each sync call and around each poll of an async one), but turns it into
//! an untyped "unexpected error" carrying the panic's message (Kotlin `InternalException`, Swift
//! `UniffiInternalError.rustPanic`, Python `InternalError`), and that message may quote data. So
//! every exported call that returns a `Result` runs inside [`contain`] / [`contain_sync`]: a panic
//! becomes `HomevisitError::Internal { code: "ffi.panicked" }`, logged by code, its message
//! dropped. (Calls returning no `Result` are left to UniFFI's catch; they only touch listener lists.)

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::Poll;

use crate::error::HomevisitError;

fn panicked() -> HomevisitError {
    HomevisitError::internal("panic", "ffi.panicked")
}

/// Runs `fut`, polling it inside `catch_unwind`. A future that panicked is never polled again
/// (hence `AssertUnwindSafe`); the locks it held recover from poisoning where they are taken.
pub(crate) async fn contain<T>(fut: impl Future<Output = Result<T, HomevisitError>>) -> Result<T, HomevisitError> {
    let mut fut = pin!(fut);
    std::future::poll_fn(move |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(_) => Poll::Ready(Err(panicked())),
    })
    .await
}

/// [`contain`], for a call that does not wait.
pub(crate) fn contain_sync<T>(f: impl FnOnce() -> Result<T, HomevisitError>) -> Result<T, HomevisitError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_an_async_call_is_a_typed_internal_error() {
        let result: Result<(), _> = contain(async {
            tokio::task::yield_now().await; // panics on a later poll, not the first
            panic!("Sofia's notes");
        })
        .await;
        match result {
            Err(HomevisitError::Internal { code }) => assert_eq!(code, "ffi.panicked"),
            other => panic!("expected Internal, got {other:?}"),
        }
    }

    #[test]
    fn a_panic_in_a_sync_call_is_a_typed_internal_error() {
        let result: Result<(), _> = contain_sync(|| panic!("Sofia's notes"));
        let e = result.unwrap_err();
        assert!(matches!(&e, HomevisitError::Internal { code } if code == "ffi.panicked"), "{e:?}");
        assert!(!e.to_string().contains("Sofia"), "{e}");
        assert_eq!(contain_sync(|| Ok(7)).unwrap(), 7);
    }
}
