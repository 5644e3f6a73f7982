// Sync when iOS lets the app run in the background (BGTaskScheduler), so notes written offline
// reach the relay once the phone has signal again even if the app is not opened. Apple platforms
// only. The app registers at launch (before it finishes launching) and schedules when it goes to
// the background; Info.plist lists the identifier under BGTaskSchedulerPermittedIdentifiers.

#if canImport(BackgroundTasks)
import BackgroundTasks
import Foundation
import HomevisitCore

public enum BackgroundSync {
    public static let identifier = "org.homevisit.sync"

    /// `app`: the open app when the task runs (nil when signed out or not yet opened).
    public static func register(app: @escaping @Sendable () async -> HomevisitApp?) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            schedule()  // the next one
            // BGTask is not Sendable; it is only told that the work ended, once.
            nonisolated(unsafe) let task = task
            let work = Task {
                guard let app = await app() else { return task.setTaskCompleted(success: true) }
                let synced = (try? await app.syncNow()) != nil
                task.setTaskCompleted(success: synced)
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    /// Asks for a sync in about 15 minutes, when there is network.
    public static func schedule() {
        let request = BGProcessingTaskRequest(identifier: identifier)
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)  // refused in the simulator: nothing to do
    }
}
#endif
