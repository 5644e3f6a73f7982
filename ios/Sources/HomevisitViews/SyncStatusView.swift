// Sync status: what is waiting and why, the last sync, live mode, and a sync button.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct SyncStatusView: View {
    @State var model: SyncStatusModel
    let t: Strings

    var body: some View {
        List {
            Section {
                SyncBadgeView(badge: model.badge, t: t)
                Text(model.waiting).font(.headline)
                Text(model.why)
            }
            Section {
                Text(model.lastSynced)
                Text(model.live)
                if let progress = model.progress {
                    ProgressView(value: Double(progress.documentsDone), total: Double(max(progress.documentsTotal, 1)))
                }
            }
            if let error = model.error { Text(t(error)).foregroundStyle(.red) }
            Button(t(.syncNowButton)) { Task { await model.syncNow() } }
        }
        .navigationTitle(t(.syncStatusTitle))
        .task { await model.start() }
        .onDisappear { model.stop() }
    }
}
#endif
