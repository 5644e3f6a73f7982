// Whether a sync is under way, from the sync events, for the "Syncing…" badge.

import Foundation

struct SyncActivity {
    /// A sync that reported progress but no end for this long no longer counts as under way: in live
    /// mode the library restarts a sync when nudged (a local edit) without reporting its end.
    static let staleAfter: TimeInterval = 3

    private var lastProgress: Date?

    mutating func note(_ event: SyncEvent, at now: Date = Date()) {
        switch event {
        case .progress: lastProgress = now
        case .finished: lastProgress = nil
        }
    }

    func isSyncing(at now: Date = Date()) -> Bool {
        lastProgress.map { now.timeIntervalSince($0) < Self.staleAfter } ?? false
    }
}

/// Reads that may finish out of order (calls into the library run on its threads): only the result
/// of the newest one is shown, so an older status never overwrites a newer one.
struct LatestOnly {
    private var issued = 0

    /// A ticket for a read about to start.
    mutating func next() -> Int {
        issued += 1
        return issued
    }

    func isLatest(_ ticket: Int) -> Bool { ticket == issued }
}
