// Today: the day's visits, the sync badge and how many changes wait.

#if canImport(SwiftUI)
import AppModel
import HomevisitCore
import SwiftUI

struct TodayView: View {
    @State var model: TodayModel
    let app: HomevisitApp
    let me: String?
    let formatting: Formatting

    var body: some View {
        let t = formatting.strings
        List {
            if model.rows.isEmpty {
                Text(t(.noVisitsToday)).foregroundStyle(.secondary)
            }
            ForEach(model.rows) { row in
                NavigationLink {
                    VisitView(model: VisitModel(app: app, visitId: row.id, formatting: formatting), app: app, me: me,
                              formatting: formatting)
                } label: {
                    VStack(alignment: .leading) {
                        Text(row.title).font(.headline)
                        Text("\(row.time) · \(row.statusText)").font(.subheadline)
                        if row.interpreter { Text(t(.interpreterNeededShort)).font(.caption) }
                    }
                    .accessibilityElement(children: .ignore)
                    .accessibilityLabel(row.accessibilityLabel)
                }
            }
        }
        .navigationTitle(t(.todayTitle))
        .toolbar {
            ToolbarItem(placement: .navigation) { SyncBadgeView(badge: model.badge, t: t) }
            ToolbarItem(placement: .primaryAction) {
                Button(t(.syncNowButton), systemImage: "arrow.clockwise") { Task { await model.syncNow() } }
            }
        }
        .refreshable { await model.syncNow() }
        .task { await model.start() }
        .onDisappear { model.stop() }
    }
}
#endif
