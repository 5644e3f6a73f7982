// Conversation starters: the visit's prompts in the family's language (or the closest the school
// has), read before or between visits, in large type.

import HomevisitCore
import Observation

@MainActor
@Observable
public final class StartersModel {
    public private(set) var pack: PromptPack?
    public private(set) var familyLanguage: String?
    public private(set) var error: L10n?

    private let app: HomevisitApp
    private let visitId: String
    private let formatting: Formatting

    public init(app: HomevisitApp, visitId: String, formatting: Formatting) {
        self.app = app
        self.visitId = visitId
        self.formatting = formatting
    }

    public func load() async {
        do {
            pack = try await app.promptsForVisit(visitId: visitId)
            let visit = try await app.visit(visitId: visitId)
            familyLanguage = (try? await app.family(familyId: visit.plan.familyId))?.preferredLanguage
            error = nil
        } catch {
            self.error = L10n.of(error)
        }
    }

    public var prompts: [String] { pack?.prompts ?? [] }
    public var title: String { pack?.title ?? "" }

    /// The prompts' language tag: the view sets it on the text so VoiceOver reads it in that language.
    public var promptLanguage: String? { pack?.language }

    /// Whether the pack is in the family's language (same primary language: "es" for "es-MX").
    public var inFamilyLanguage: Bool {
        guard let pack, let familyLanguage else { return true }
        return Self.primary(pack.language) == Self.primary(familyLanguage)
    }

    /// "In español", or why another language is shown.
    public var languageNote: String {
        guard let pack else { return "" }
        let name = formatting.languageName(pack.language)
        return inFamilyLanguage ? formatting.strings(.startersInLanguage, name) : formatting.strings(.startersFallback, name)
    }

    public var isDraft: Bool { pack.map { !$0.reviewed } ?? false }

    static func primary(_ tag: String) -> String {
        String(tag.split(separator: "-").first ?? "").lowercased()
    }
}
