// The library's listener callbacks as AsyncStreams. A listener is called on one of the library's
// threads; the stream hands its values to whoever iterates it (a view model, on the main actor).
// The subscription ends when the iterating task is cancelled or the stream is dropped.

import HomevisitCore

/// What a sync reports while it runs and when it ends.
public enum SyncEvent: Sendable, Equatable {
    case progress(SyncProgress)
    /// `error` is nil on success, else the library's short reason (no content).
    case finished(error: String?)
}

private final class SyncEventForwarder: SyncProgressListener {
    let continuation: AsyncStream<SyncEvent>.Continuation
    init(_ continuation: AsyncStream<SyncEvent>.Continuation) { self.continuation = continuation }
    func onProgress(progress: SyncProgress) { continuation.yield(.progress(progress)) }
    func onFinished(error: String?) { continuation.yield(.finished(error: error)) }
}

private final class ChangeForwarder: DocumentChangeListener {
    let continuation: AsyncStream<[ChangedDocument]>.Continuation
    init(_ continuation: AsyncStream<[ChangedDocument]>.Continuation) { self.continuation = continuation }
    func onDocumentsChanged(documents: [ChangedDocument]) { continuation.yield(documents) }
}

extension HomevisitApp {
    /// Every sync's progress and end, background syncs included.
    public func syncEvents() -> AsyncStream<SyncEvent> {
        // The newest events only: a screen that falls behind needs the latest state, not history.
        let (stream, continuation) = AsyncStream.makeStream(of: SyncEvent.self, bufferingPolicy: .bufferingNewest(32))
        let subscription = subscribeSyncProgress(listener: SyncEventForwarder(continuation))
        continuation.onTermination = { _ in subscription.cancel() }
        return stream
    }

    /// The documents each sync changed on this phone (a partner's words arrived, a visit was planned).
    public func documentChanges() -> AsyncStream<[ChangedDocument]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [ChangedDocument].self, bufferingPolicy: .unbounded)
        let subscription = subscribeDocumentChanges(listener: ChangeForwarder(continuation))
        continuation.onTermination = { _ in subscription.cancel() }
        return stream
    }
}

/// Document kinds as the library names them in `ChangedDocument.kind`.
public enum DocumentKind {
    public static let visitLog = "visit-log"
    public static let visitNotes = "visit-notes"
    public static let family = "family"
    public static let educator = "educator"
    public static let school = "school"
    public static let promptPack = "prompt-pack"
}

/// A task a view model runs while its screen is shown; cancelled when the model goes away.
final class ListeningTask: @unchecked Sendable {
    private var task: Task<Void, Never>?

    func replace(with task: Task<Void, Never>) {
        self.task?.cancel()
        self.task = task
    }

    func cancel() {
        task?.cancel()
        task = nil
    }

    deinit { task?.cancel() }
}
