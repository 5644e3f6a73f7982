// Family screen: the family's record and both visits; before visit 2 the pair rereads the hopes and
// dreams shared at visit 1.

import HomevisitCore
import Observation

@MainActor
@Observable
public final class FamilyModel {
    public private(set) var family: FamilyDetails?
    public private(set) var visits: [VisitRow] = []
    public private(set) var declined = false
    /// Visit 1's "hopes and dreams", if it was written.
    public private(set) var hopesFromVisitOne: String?
    public private(set) var error: L10n?

    private let app: HomevisitApp
    private let familyId: String
    private let formatting: Formatting

    public init(app: HomevisitApp, familyId: String, formatting: Formatting) {
        self.app = app
        self.familyId = familyId
        self.formatting = formatting
    }

    public func load() async {
        do {
            family = try await app.family(familyId: familyId)
            let summaries = try await app.familyVisits(familyId: familyId)
            visits = summaries.map { VisitRow($0, formatting) }
            declined = try await app.familyDeclined(familyId: familyId)
            hopesFromVisitOne = nil
            // The latest visit 1 with hopes written (an earlier year's may be on the phone too).
            for first in summaries.reversed() where first.visitNumber == 1 {
                let text = try await app.noteText(visitId: first.visitId, field: .hopesAndDreams)
                if !text.isEmpty {
                    hopesFromVisitOne = text
                    break
                }
            }
            error = nil
        } catch {
            self.error = L10n.of(error)
        }
    }

    public var languageName: String? { family.map { formatting.languageName($0.preferredLanguage) } }

    /// "Ana (3), Luis (K)": first names and grades only.
    public var children: String {
        (family?.students ?? []).map { "\($0.firstName) (\($0.grade))" }.joined(separator: ", ")
    }
}
