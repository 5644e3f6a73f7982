// Enroll: the sync address (prefilled) and the invite code.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct EnrollView: View {
    @State var model: EnrollModel
    let t: Strings
    @State private var scanning = false

    var body: some View {
        Form {
            Section {
                Text(t(.enrollExplanation))
                #if canImport(VisionKit) && os(iOS)
                if QRScannerView.isAvailable {
                    Button(t(.scanInvite)) { scanning = true }
                    Text(t(.orTypeIt)).font(.footnote)
                }
                #endif
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
        #if canImport(VisionKit) && os(iOS)
        .sheet(isPresented: $scanning) {
            QRScannerView { text in
                scanning = false
                Task { await model.scanned(text) }
            }
        }
        #endif
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
