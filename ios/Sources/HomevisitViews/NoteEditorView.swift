// Notes and Debrief: one text editor per field. The editor reports every change with its selection
// to the model, which saves it as a splice; the model's merged text and mapped selection flow back,
// so the partner's words appear while the user's cursor stays put.

#if canImport(SwiftUI)
import AppModel
import HomevisitCore
import HomevisitPlatform
import SwiftUI

struct NoteEditorView: View {
    @State var model: NoteEditorModel
    let t: Strings

    var body: some View {
        Form {
            if model.section == .debrief {
                Section {
                    Label(model.live ? t(.liveEditing) : t(.liveOff), systemImage: model.live ? "dot.radiowaves.left.and.right" : "pause")
                        .font(.footnote)
                }
            }
            ForEach(model.section.fields, id: \.self) { field in
                Section(t.field(field)) {
                    FieldEditor(model: model, field: field, label: t.field(field))
                }
            }
            if model.section == .debrief, let swap = model.partnerSync {
                Section {
                    // Phone to phone in the car: MultipeerConnectivity to the partner's phone.
                    Button(t(.partnerSyncButton)) {
                        Task {
                            guard let me = model.me else { return }
                            do {
                                let channel = try await MultipeerPartnerChannel.connect(
                                    visitId: model.visitId, myId: me, partnerId: swap.partnerId)
                                defer { channel.close() }
                                await swap.exchange(over: channel)
                            } catch {
                                // Not connected within the bound: the button stays for another try.
                            }
                        }
                    }
                    .disabled(swap.phase == .exchanging)
                    switch swap.phase {
                    case .idle: EmptyView()
                    case .exchanging: Text(t(.partnerSyncing))
                    case .done(let changed, _): Text(changed == 0 ? t(.partnerSyncedNothing) : t(.partnerSynced))
                    case .failed(let problem): Text(t(problem)).foregroundStyle(.red)
                    }
                }
            }
            if model.section == .debrief {
                Section {
                    if model.debriefDone != nil {
                        Text(t(.debriefDoneBy, model.debriefDoneBy ?? "…"))
                        Button(t(.reopenDebrief)) { Task { await model.reopenDebrief() } }
                    } else {
                        Button(t(.debriefDoneButton)) { Task { await model.markDebriefDone() } }
                    }
                }
            }
            if let error = model.error { Text(t(error)).foregroundStyle(.red) }
        }
        .navigationTitle(model.section == .debrief ? t(.debriefTitle) : t(.notesTitle))
        .task { await model.start() }
        .onDisappear { Task { await model.stop() } }
    }
}

/// A TextEditor bound to one field through the model, selection included (UTF-16 offsets there,
/// String.Index here).
private struct FieldEditor: View {
    let model: NoteEditorModel
    let field: NoteField
    let label: String

    var body: some View {
        TextEditor(text: text, selection: selection)
            .frame(minHeight: 120)
            .accessibilityLabel(label)
    }

    private var text: Binding<String> {
        Binding(
            get: { model.text(field) },
            set: { model.userEdited(field, text: $0) }  // the selection binding follows with the real one
        )
    }

    private var selection: Binding<TextSelection?> {
        Binding(
            get: {
                let text = model.text(field), range = model.selection(field)
                let utf16 = text.utf16
                guard let lower = utf16.index(utf16.startIndex, offsetBy: range.lowerBound, limitedBy: utf16.endIndex),
                      let upper = utf16.index(utf16.startIndex, offsetBy: range.upperBound, limitedBy: utf16.endIndex)
                else { return nil }
                return TextSelection(range: lower ..< upper)
            },
            set: { selection in
                guard case .selection(let range)? = selection?.indices else { return }
                let utf16 = model.text(field).utf16
                let lower = utf16.distance(from: utf16.startIndex, to: range.lowerBound)
                let upper = utf16.distance(from: utf16.startIndex, to: range.upperBound)
                model.userMovedCursor(field, to: lower ..< upper)
            }
        )
    }
}
#endif
