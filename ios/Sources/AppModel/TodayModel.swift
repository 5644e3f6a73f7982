// Today screen: the day's visits, the sync badge and the count of unsynced changes. Refreshes
// when a sync brings a visit (a partner planned it on their phone) and when a sync starts or ends.

import Foundation
import HomevisitCore
import Observation

@MainActor
@Observable
public final class TodayModel {
    public private(set) var rows: [VisitRow] = []
    public private(set) var badge: SyncBadge = .upToDate
    public private(set) var unsynced = 0
    public private(set) var error: L10n?
    public let day: Date

    private let app: HomevisitApp
    private let formatting: Formatting
    @ObservationIgnored private var activity = SyncActivity()
    @ObservationIgnored private let staleCheck = ListeningTask()
    @ObservationIgnored private var badgeReads = LatestOnly()
    @ObservationIgnored private let listening = ListeningTask()
    @ObservationIgnored private let listeningSyncs = ListeningTask()

    /// `day`: the day shown (today by default), in `formatting`'s time zone.
    public init(app: HomevisitApp, formatting: Formatting, day: Date = Date()) {
        self.app = app
        self.formatting = formatting
        self.day = day
    }

    /// Starts listening to syncs; call when the screen appears (and `stop` when it goes).
    public func start() async {
        let changes = app.documentChanges(), events = app.syncEvents()
        listening.replace(with: Task { [weak self] in
            for await documents in changes {
                let relevant = documents.contains {
                    [DocumentKind.visitLog, DocumentKind.family].contains($0.kind)
                }
                if relevant { await self?.refresh() }
            }
        })
        listeningSyncs.replace(with: Task { [weak self] in
            for await event in events {
                await self?.syncEvent(event)
            }
        })
        await refresh()
    }

    public func stop() {
        listening.cancel()
        listeningSyncs.cancel()
        staleCheck.cancel()
    }

    public func refresh() async {
        do {
            let (date, offset) = formatting.day(of: day)
            let visits = try await app.visitsOnDay(date: date, utcOffsetMinutes: offset)
            rows = visits.map { VisitRow($0, formatting) }
            error = nil
        } catch {
            self.error = L10n.of(error)
        }
        await refreshBadge()
    }

    public func syncNow() async {
        do {
            _ = try await app.syncNow()
        } catch {
            self.error = L10n.of(error)
        }
        await refresh()
    }

    private func syncEvent(_ event: SyncEvent) async {
        let wasSyncing = activity.isSyncing()
        activity.note(event)
        if case .progress = event {
            if !wasSyncing { await refreshBadge() }
            // If no end is reported, "Syncing…" goes once the progress is stale.
            staleCheck.replace(with: Task { [weak self] in
                guard (try? await Task.sleep(nanoseconds: UInt64((SyncActivity.staleAfter + 0.1) * 1e9))) != nil else { return }
                await self?.refreshBadge()
            })
        } else {
            await refreshBadge()
        }
    }

    private func refreshBadge() async {
        let ticket = badgeReads.next()
        guard let status = try? await app.syncStatus(), badgeReads.isLatest(ticket) else { return }
        unsynced = Int(status.unsynced)
        badge = SyncBadge(status: status, syncing: activity.isSyncing())
    }
}
