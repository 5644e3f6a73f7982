// Dates and times as the screens show them, in the UI's language and the phone's time zone.

import Foundation
import HomevisitCore

public struct Formatting: Sendable {
    public let strings: Strings
    public let timeZone: TimeZone

    public init(strings: Strings, timeZone: TimeZone = .current) {
        self.strings = strings
        self.timeZone = timeZone
    }

    public func time(_ ms: Int64) -> String {
        formatter(date: .none, time: .short).string(from: Self.date(ms))
    }

    public func dateTime(_ ms: Int64) -> String {
        formatter(date: .medium, time: .short).string(from: Self.date(ms))
    }

    /// A BCP 47 tag ("es-MX") as a language name in the UI's language ("español (México)").
    public func languageName(_ tag: String) -> String {
        strings.language.locale.localizedString(forIdentifier: tag) ?? tag
    }

    /// "YYYY-MM-DD" of `date` in this time zone, and the zone's offset then (for `visits_on_day`).
    public func day(of date: Date) -> (date: String, utcOffsetMinutes: Int32) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let text = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return (text, Int32(timeZone.secondsFromGMT(for: date) / 60))
    }

    public static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    private func formatter(date: DateFormatter.Style, time: DateFormatter.Style) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = strings.language.locale
        formatter.timeZone = timeZone
        formatter.dateStyle = date
        formatter.timeStyle = time
        return formatter
    }
}

extension Strings {
    public func status(_ status: VisitStatus) -> String {
        switch status {
        case .planned: return self(.statusPlanned)
        case .confirmed: return self(.statusConfirmed)
        case .completed: return self(.statusCompleted)
        case .familyNotHome: return self(.statusFamilyNotHome)
        case .cancelled: return self(.statusCancelled)
        case .rescheduled: return self(.statusRescheduled)
        case .familyDeclined: return self(.statusFamilyDeclined)
        }
    }

    public func role(_ role: DeviceRole) -> String {
        switch role {
        case .educator: return self(.roleEducator)
        case .schoolCoordinator: return self(.roleSchoolCoordinator)
        case .districtAdmin: return self(.roleDistrictAdmin)
        }
    }

    public func field(_ field: NoteField) -> String {
        switch field {
        case .hopesAndDreams: return self(.fieldHopesAndDreams)
        case .invitation: return self(.fieldInvitation)
        case .familyExpectations: return self(.fieldFamilyExpectations)
        case .schoolExpectations: return self(.fieldSchoolExpectations)
        case .communicationRhythm: return self(.fieldCommunicationRhythm)
        case .learned: return self(.fieldLearned)
        case .assumptionsChanged: return self(.fieldAssumptionsChanged)
        case .useInClass: return self(.fieldUseInClass)
        case .nextSteps: return self(.fieldNextSteps)
        }
    }
}
