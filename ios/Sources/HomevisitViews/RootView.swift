// The first screen for the session's phase: enroll, the app's tabs, or "this phone was signed out".
// Views only bind to AppModel's view models; they hold no logic of their own.

#if canImport(SwiftUI)
import AppModel
import HomevisitCore
import SwiftUI

public struct RootView: View {
    @Bindable var session: AppSession
    let relayURL: String

    public init(session: AppSession, relayURL: String) {
        self.session = session
        self.relayURL = relayURL
    }

    public var body: some View {
        let t = session.strings
        Group {
            switch session.phase {
            case .opening:
                ProgressView()
            case .needsEnrollment:
                if let app = session.app {
                    EnrollView(model: EnrollModel(app: app, relayURL: relayURL) { await session.refreshPhase() }, t: t)
                }
            case .ready:
                if let app = session.app {
                    MainTabs(session: session, app: app)
                }
            case .revoked:
                MessageView(title: t(.revokedTitle), message: t(.revokedExplanation), systemImage: "lock.shield")
            case .signedOut:
                MessageView(title: t(.settingsTitle), message: t(.signedOut), systemImage: "checkmark.circle")
            case .failed(let key):
                MessageView(title: t(.errInternal), message: t(key), systemImage: "exclamationmark.triangle")
            }
        }
        .task { if session.phase == .opening { await session.open() } }
    }
}

struct MainTabs: View {
    let session: AppSession
    let app: HomevisitApp

    var body: some View {
        let formatting = Formatting(strings: session.strings)
        let t = session.strings
        TabView {
            NavigationStack {
                TodayView(model: TodayModel(app: app, formatting: formatting), app: app, me: session.identity?.educatorId,
                          formatting: formatting)
            }
            .tabItem { Label(t(.todayTitle), systemImage: "calendar") }
            NavigationStack {
                SyncStatusView(model: SyncStatusModel(app: app, formatting: formatting), t: t)
            }
            .tabItem { Label(t(.syncStatusTitle), systemImage: "arrow.triangle.2.circlepath") }
            NavigationStack {
                SettingsView(model: SettingsModel(session: session), t: t)
            }
            .tabItem { Label(t(.settingsTitle), systemImage: "gear") }
        }
    }
}

struct MessageView: View {
    let title: String
    let message: String
    let systemImage: String

    var body: some View {
        ContentUnavailableView(title, systemImage: systemImage, description: Text(message))
    }
}
#endif
