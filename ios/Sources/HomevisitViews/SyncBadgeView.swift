// The sync badge on Today: a word and an icon, read out with the unsynced count.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct SyncBadgeView: View {
    let badge: SyncBadge
    let t: Strings

    var body: some View {
        Label(badge.label(t), systemImage: icon)
            .font(.footnote)
            .labelStyle(.titleAndIcon)
            .accessibilityElement(children: .ignore)
            .accessibilityLabel(badge.accessibilityLabel(t))
    }

    private var icon: String {
        switch badge {
        case .upToDate: return "checkmark.icloud"
        case .syncing: return "arrow.triangle.2.circlepath.icloud"
        case .waiting: return "icloud.and.arrow.up"
        case .offline: return "icloud.slash"
        case .failed: return "exclamationmark.icloud"
        case .notEnrolled, .revoked: return "lock.icloud"
        }
    }
}
#endif
