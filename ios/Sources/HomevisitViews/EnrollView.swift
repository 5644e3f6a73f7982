// Enroll: the sync address (prefilled) and the invite code.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct EnrollView: View {
    @State var model: EnrollModel
    let t: Strings

    var body: some View {
        Form {
            Section {
                Text(t(.enrollExplanation))
                TextField(t(.relayAddress), text: $model.relayURL)
                    .codeInput()
                    .accessibilityLabel(t(.relayAddress))
                TextField(t(.inviteCode), text: $model.inviteCode)
                    .codeInput()
                    .accessibilityLabel(t(.inviteCode))
            }
            if let error = model.error {
                Text(t(error)).foregroundStyle(.red).accessibilityLabel(t(error))
            }
            Button(model.busy ? t(.enrolling) : t(.enrollButton)) {
                Task { await model.enroll() }
            }
            .disabled(!model.canSubmit)
        }
        .navigationTitle(t(.enrollTitle))
    }
}

private extension View {
    /// An address or a code: typed as is (no capitals, no corrections).
    func codeInput() -> some View {
        #if os(iOS)
        textInputAutocapitalization(.never).autocorrectionDisabled()
        #else
        autocorrectionDisabled()
        #endif
    }
}
#endif
