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
                    Text(spoken(prompt, in: model.promptLanguage))
                        .font(.largeTitle)  // large type, and it grows with Dynamic Type
                }
            }
            .padding()
        }
        .navigationTitle(model.title.isEmpty ? t(.startersTitle) : model.title)
        .task { await model.load() }
    }
}

/// The prompt marked with its language, so VoiceOver reads it in the family's language.
private func spoken(_ prompt: String, in tag: String?) -> AttributedString {
    var text = AttributedString(prompt)
    if let tag { text.accessibilitySpeechLanguage = tag }
    return text
}
#endif
