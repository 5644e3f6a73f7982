// Settings: who I am, and sign-out, which first shows what would be lost.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct SettingsView: View {
    @State var model: SettingsModel
    let t: Strings

    var body: some View {
        List {
            Section {
                Text(model.whoIAm)
                if let school = model.school { Text(school) }
            }
            Section {
                Button(t(.signOutButton), role: .destructive) { Task { await model.prepareSignOut() } }
            }
            if let error = model.error { Text(t(error)).foregroundStyle(.red) }
        }
        .navigationTitle(t(.settingsTitle))
        .task { await model.load() }
        .confirmationDialog(
            t(.signOutButton),
            isPresented: Binding(get: { model.signOutWarning != nil }, set: { if !$0 { model.cancelSignOut() } }),
            titleVisibility: .visible
        ) {
            Button(t(.signOutConfirm), role: .destructive) { Task { await model.confirmSignOut() } }
            Button(t(.cancel), role: .cancel) { model.cancelSignOut() }
        } message: {
            Text(model.signOutWarning?.message ?? "")
        }
    }
}
#endif
