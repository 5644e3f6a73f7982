// Sync status screen: what is waiting to sync and why, the last sync, live mode, a sync button.

import HomevisitCore
import Observation

@MainActor
@Observable
public final class SyncStatusModel {
    public private(set) var status: SyncStatus?
    public private(set) var badge: SyncBadge = .upToDate
    /// The sync under way: documents done of total.
    public private(set) var progress: SyncProgress?
    public private(set) var error: L10n?

    private let app: HomevisitApp
    private let formatting: Formatting
    @ObservationIgnored private let listening = ListeningTask()

    public init(app: HomevisitApp, formatting: Formatting) {
        self.app = app
        self.formatting = formatting
    }

    private var t: Strings { formatting.strings }

    public func start() async {
        let events = app.syncEvents()
        listening.replace(with: Task { [weak self] in
            for await event in events { await self?.handle(event) }
        })
        await refresh()
    }

    public func stop() { listening.cancel() }

    public func refresh() async {
        do {
            let status = try await app.syncStatus()
            self.status = status
            badge = SyncBadge(status: status, syncing: progress != nil)
        } catch {
            self.error = L10n.of(error)
        }
    }

    public func syncNow() async {
        do {
            _ = try await app.syncNow()
            error = nil
        } catch {
            self.error = L10n.of(error)
        }
        await refresh()
    }

    private func handle(_ event: SyncEvent) async {
        switch event {
        case .progress(let p): progress = p
        case .finished: progress = nil
        }
        await refresh()
    }

    public var waiting: String { badge.unsynced > 0 ? t.unsyncedDocuments(badge.unsynced) : t(.waitingNothing) }
    public var why: String { badge.explanation(t) }

    public var lastSynced: String {
        guard let ms = status?.lastSuccessMs else { return t(.neverSynced) }
        return t(.lastSynced, formatting.dateTime(ms))
    }

    public var live: String { status?.live == true ? t(.liveOn) : t(.liveOff) }
}
