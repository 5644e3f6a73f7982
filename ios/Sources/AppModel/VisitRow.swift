// One visit as a list shows it (Today, Family): the words and the accessibility label of a row.

import HomevisitCore

public struct VisitRow: Identifiable, Equatable, Sendable {
    public let id: String
    /// nil until the family's record reaches this phone.
    public let familyName: String?
    public let familyId: String
    public let time: String
    public let status: VisitStatus
    public let visitNumber: UInt8
    public let interpreter: Bool
    public let partnerConfirmed: Bool
    public let title: String
    public let statusText: String
    public let accessibilityLabel: String

    init(_ s: VisitSummary, _ f: Formatting) {
        let t = f.strings
        id = s.visitId
        familyId = s.familyId
        familyName = s.familyName
        time = f.time(s.scheduledAtMs)
        status = s.status
        visitNumber = s.visitNumber
        interpreter = s.interpreter
        partnerConfirmed = s.partnerConfirmed
        title = s.familyName ?? t(.familyNotSyncedYet)
        statusText = t.status(s.status)
        var parts = [title, time, t(.visitNumber, String(s.visitNumber)), statusText]
        if s.interpreter { parts.append(t(.interpreterNeededShort)) }
        if s.partnerConfirmed { parts.append(t(.partnerConfirmedShort)) }
        accessibilityLabel = parts.joined(separator: ", ")
    }
}
