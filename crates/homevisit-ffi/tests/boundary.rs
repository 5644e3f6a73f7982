//! The boundary itself: public errors carry no family data and unexpected ones are logged by code
//! as they are converted; exported async calls work as the bindings drive them (polled by a
//! foreign executor, with no tokio runtime of the caller's), on a multi-threaded runtime.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use homevisit_docs::{DocError, DocId, DocKind};
use homevisit_ffi::*;
use homevisit_store::StoreError;
use homevisit_sync::device_session::SessionError;

const FAMILY_NAME: &str = "Sofia Hernández";

/// Everything logged while `f` runs, as text.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (result, text)
}

#[test]
fn unexpected_errors_are_logged_by_code_and_no_public_error_names_a_family() {
    let family = DocId::new(DocKind::Family, uuid::Uuid::new_v4());
    let family_id = family.id.to_string();

    // A database failure whose text quotes a family: Internal with a stable code, logged.
    let (e, log) =
        logged(|| HomevisitError::from(SessionError::Store(StoreError::Database(format!("near \"{FAMILY_NAME}\"")))));
    assert!(matches!(&e, HomevisitError::Internal { code } if code == "store.database"), "{e:?}");
    assert!(log.contains("store.database") && log.contains("store"), "{log}");
    for text in [e.to_string(), format!("{e:?}"), log] {
        assert!(!text.contains(FAMILY_NAME), "{text}");
    }

    // A missing or damaged family document is named by its kind, never its id; damage is logged.
    let (missing, log) = logged(|| HomevisitError::from(StoreError::NotFound(family)));
    assert!(matches!(&missing, HomevisitError::NotFound { what } if what == "a family document"), "{missing:?}");
    assert!(log.is_empty(), "an expected error is not logged: {log}");
    let shape = DocError::Shape(format!("display_name: {FAMILY_NAME}"));
    let (damaged, log) = logged(|| HomevisitError::from(StoreError::Document { doc: family, source: Box::new(shape) }));
    assert!(matches!(damaged, HomevisitError::Corrupt { .. }), "{damaged:?}");
    assert!(log.contains("store.document"), "{log}");
    for text in [missing.to_string(), damaged.to_string(), format!("{damaged:?}"), log] {
        assert!(!text.contains(FAMILY_NAME) && !text.contains(&family_id), "{text}");
    }
    let forbidden = HomevisitError::from(StoreError::Forbidden(family));
    assert!(!forbidden.to_string().contains(&family_id), "{forbidden}");

    // A panicked store call, an I/O failure: typed, logged by code.
    let (panicked, log) = logged(|| HomevisitError::from(SessionError::Panicked));
    assert!(matches!(&panicked, HomevisitError::Internal { code } if code == "task.panicked"));
    assert!(log.contains("task.panicked"), "{log}");
    let io =
        SessionError::Io { action: "delete homevisit.db".into(), source: std::io::ErrorKind::PermissionDenied.into() };
    assert!(matches!(HomevisitError::from(io), HomevisitError::Internal { code } if code == "io.data_dir"));

    // What the shell can act on stays typed and is not logged.
    let (errors, log) = logged(|| {
        [
            HomevisitError::from(SessionError::NotEnrolled),
            HomevisitError::from(SessionError::Closed),
            HomevisitError::from(StoreError::WrongKey),
        ]
    });
    assert!(matches!(errors, [HomevisitError::NotEnrolled, HomevisitError::Closed, HomevisitError::WrongKey]));
    assert!(log.is_empty(), "{log}");
}

/// Polls `fut` to completion on this thread, as a foreign executor would: no tokio runtime here.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// What the scaffolding of `#[uniffi::export(async_runtime = "tokio")]` wraps each call in.
fn as_exported<F: Future>(fut: F) -> uniffi::deps::async_compat::Compat<F> {
    uniffi::deps::async_compat::Compat::new(fut)
}

#[test]
fn exported_async_calls_work_when_a_foreign_executor_polls_them() {
    assert!(tokio::runtime::Handle::try_current().is_err(), "no runtime of the caller's");
    let flavor = block_on(as_exported(async { tokio::runtime::Handle::current().runtime_flavor() }));
    assert_eq!(flavor, tokio::runtime::RuntimeFlavor::MultiThread, "async-compat's multi-thread feature is on");

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone").display().to_string();
    let key = generate_database_key().unwrap();
    let app = block_on(as_exported(open_app(data.clone(), key))).unwrap();
    assert!(block_on(as_exported(app.todays_visits())).unwrap().is_empty());
    assert!(matches!(block_on(as_exported(app.sync_now())), Err(HomevisitError::NotEnrolled)));
    let status = block_on(as_exported(app.sync_status())).unwrap();
    assert!(!status.enrolled && status.last_error.is_none());
    block_on(as_exported(app.sign_out_and_wipe())).unwrap();
    assert!(matches!(block_on(as_exported(app.unsynced_count())), Err(HomevisitError::Closed)));
}
