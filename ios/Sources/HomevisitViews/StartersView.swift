// Conversation starters in large type, in the family's language (VoiceOver reads them in it too).

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct StartersView: View {
    @State var model: StartersModel
    let t: Strings

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                Text(model.languageNote).font(.subheadline).foregroundStyle(.secondary)
                if model.isDraft { Text(t(.startersDraft)).font(.footnote).foregroundStyle(.orange) }
                ForEach(Array(model.prompts.enumerated()), id: \.offset) { _, prompt in
                    Text(prompt)
                        .font(.largeTitle)
                        .environment(\.locale, Locale(identifier: model.promptLanguage ?? "en"))
                        .accessibilityLabel(Text(prompt).speechLanguage(model.promptLanguage))
                }
            }
            .padding()
        }
        .navigationTitle(model.title.isEmpty ? t(.startersTitle) : model.title)
        .task { await model.load() }
    }
}

private extension Text {
    /// Tells VoiceOver which language to read the prompt in.
    func speechLanguage(_ tag: String?) -> Text {
        guard let tag else { return self }
        var attributes = AttributeContainer()
        attributes.accessibilitySpeechLanguage = tag
        return self + Text(AttributedString("", attributes: attributes))
    }
}
#endif
