// The app's entry point (in the Xcode project of project.yml, not in the Swift package): opens the
// session with the key from the Keychain, the store in Application Support (excluded from backups,
// file protection until first unlock, so background sync can run while locked), and registers
// background sync, scheduled each time the app goes to the background.

#if canImport(SwiftUI) && canImport(UIKit)
import AppModel
import Foundation
import HomevisitCore
import HomevisitPlatform
import HomevisitViews
import SwiftUI

@main
struct HomevisitIOSApp: App {
    @State private var session: AppSession
    @Environment(\.scenePhase) private var scenePhase

    init() {
        let session = AppSession(dataDir: Self.dataDirectory(), keys: KeychainKeyStore())
        _session = State(initialValue: session)
        BackgroundSync.register { await session.app }
    }

    var body: some Scene {
        WindowGroup {
            RootView(session: session, relayURL: Bundle.main.object(forInfoDictionaryKey: "HomevisitRelayURL") as? String ?? "")
        }
        .onChange(of: scenePhase) { _, phase in
            if phase == .background { BackgroundSync.schedule() }
        }
    }

    /// Application Support/homevisit: never in an iCloud or iTunes backup, unreadable while locked.
    private static func dataDirectory() -> URL {
        var url = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("homevisit", isDirectory: true)
        try? FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication]
        )
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? url.setResourceValues(values)
        return url
    }
}
#endif
