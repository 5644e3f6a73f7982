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
    /// Every document waiting for the relay, with the relay's refusal if it refused it.
    public private(set) var pending: [PendingDocument] = []

    private let app: HomevisitApp
    private let formatting: Formatting
    @ObservationIgnored private let listening = ListeningTask()
    @ObservationIgnored private var activity = SyncActivity()
    @ObservationIgnored private let staleCheck = ListeningTask()
    @ObservationIgnored private var reads = LatestOnly()

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

    public func stop() {
        listening.cancel()
        staleCheck.cancel()
    }

    public func refresh() async {
        let ticket = reads.next()
        do {
            let status = try await app.syncStatus()
            let pending = status.revoked ? [] : try await app.pendingDocuments()
            guard reads.isLatest(ticket) else { return }
            self.status = status
            self.pending = pending
            badge = SyncBadge(status: status, syncing: activity.isSyncing())
            if !activity.isSyncing() { progress = nil }
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
        activity.note(event)
        switch event {
        case .progress(let p):
            progress = p
            // If no end is reported, the progress goes once it is stale.
            staleCheck.replace(with: Task { [weak self] in
                guard (try? await Task.sleep(nanoseconds: UInt64((SyncActivity.staleAfter + 0.1) * 1e9))) != nil else { return }
                await self?.refresh()
            })
        case .finished:
            progress = nil
        }
        await refresh()
    }

    /// One line per waiting document: what it is and why it waits, refused ones first.
    public var waitingItems: [String] {
        pending.sorted { ($0.refused != nil) && ($1.refused == nil) }.map { doc in
            let what: String
            switch doc.kind {
            case "visit-log": what = t(.kindVisitLog)
            case "visit-notes": what = t(.kindVisitNotes)
            case "family": what = t(.kindFamily)
            default: what = t(.kindOther)
            }
            switch doc.refused {
            case nil: return t(.pendingToSend, what)
            case .notAllowed?: return t(.pendingNotAllowed, what)
            case .damaged?: return t(.pendingDamaged, what)
            case .overQuota?: return t(.pendingOverQuota, what)
            }
        }
    }

    public var waiting: String { badge.unsynced > 0 ? t.unsyncedDocuments(badge.unsynced) : t(.waitingNothing) }
    public var why: String { badge.explanation(t) }

    public var lastSynced: String {
        guard let ms = status?.lastSuccessMs else { return t(.neverSynced) }
        return t(.lastSynced, formatting.dateTime(ms))
    }

    public var live: String { status?.live == true ? t(.liveOn) : t(.liveOff) }
}
