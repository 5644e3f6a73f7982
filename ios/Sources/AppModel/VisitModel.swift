// Visit screen: the plan (when, where, who), the family's language and interpreter need, the
// family's agreement, how the visit went, and the partner's confirmation.

import Foundation
import HomevisitCore
import Observation

@MainActor
@Observable
public final class VisitModel {
    public private(set) var visit: Visit?
    public private(set) var family: FamilyDetails?
    public private(set) var educators: [String: Educator] = [:]
    /// This phone's educator (nil for a coordinator's phone).
    public private(set) var me: String?
    public private(set) var error: L10n?
    public let visitId: String

    private let app: HomevisitApp
    private let formatting: Formatting
    @ObservationIgnored private let listening = ListeningTask()

    public init(app: HomevisitApp, visitId: String, formatting: Formatting) {
        self.app = app
        self.visitId = visitId
        self.formatting = formatting
    }

    private var t: Strings { formatting.strings }

    public func start() async {
        let changes = app.documentChanges()
        let visitId = visitId
        listening.replace(with: Task { [weak self] in
            for await documents in changes where documents.contains(where: { $0.id == visitId }) {
                await self?.load()
            }
        })
        await load()
    }

    public func stop() { listening.cancel() }

    public func load() async {
        do {
            let visit = try await app.visit(visitId: visitId)
            self.visit = visit
            family = try? await app.family(familyId: visit.plan.familyId)  // nil until it syncs
            let roster = try await app.roster()
            educators = Dictionary(roster.educators.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            me = try await app.whoami()?.educatorId
            error = nil
        } catch {
            self.error = L10n.of(error)
        }
    }

    // MARK: What the screen shows

    public var when: String { visit.map { formatting.dateTime($0.plan.scheduledAtMs) } ?? "" }

    public var place: String {
        switch visit?.plan.place {
        case .home?, nil: return t(.placeHome)
        case .neutral(let description)?: return t(.placeNeutral, description)
        case .virtual?: return t(.placeVirtual)
        }
    }

    public var educatorNames: [String] {
        (visit?.plan.educatorIds ?? []).map { educators[$0]?.displayName ?? "…" }
    }

    public var familyLanguage: String? { family.map { t(.familyLanguage, formatting.languageName($0.preferredLanguage)) } }

    public var interpreterNeed: String? {
        family.map { $0.interpreterNeeded ? t(.interpreterNeeded) : t(.interpreterNotNeeded) }
    }

    public var interpreterPlan: String {
        guard let interpreter = visit?.plan.interpreter else { return t(.interpreterNotPlanned) }
        return t(.interpreterPlanned, formatting.languageName(interpreter.language))
    }

    public var familyAgreed: Bool { visit?.plan.familyAgreedAtMs != nil }

    public var status: VisitStatus? { visit?.outcome.status }

    /// Who confirmed the outcome, by name; nil until a partner did.
    public var confirmedBy: String? {
        visit?.outcome.confirmedBy.map { educators[$0]?.displayName ?? "…" }
    }

    /// The partner (an educator on the visit who did not record the outcome) may confirm it.
    public var canConfirm: Bool {
        guard let visit, let me, visit.outcome.confirmedBy == nil, let recorder = visit.outcome.recordedBy else { return false }
        return recorder != me && visit.plan.educatorIds.contains(me) && visit.outcome.status != .planned
    }

    public var confirmation: String {
        if let confirmedBy { return t(.partnerConfirmed, confirmedBy) }
        return visit?.outcome.recordedBy == nil ? t(.notConfirmedYet) : t(.waitingForPartner)
    }

    // MARK: Actions

    /// Records that the family agreed to the visit, by this phone's educator, now.
    public func recordFamilyAgreement() async {
        guard var plan = visit?.plan, let me else { return }
        plan.familyAgreedAtMs = Formatting.millis(Date())
        plan.agreementRecordedBy = me
        await perform { try await self.app.updatePlan(plan: plan) }
    }

    public func recordFamilyDecline() async {
        guard let me else { return }
        await perform { try await self.app.recordFamilyDecline(visitId: self.visitId, educatorId: me) }
    }

    /// Records how the visit went (completed, family not home, cancelled, rescheduled).
    public func recordOutcome(_ status: VisitStatus, startedAt: Date? = nil, endedAt: Date? = nil) async {
        let outcome = VisitOutcome(
            status: status, startedAtMs: startedAt.map(Formatting.millis), endedAtMs: endedAt.map(Formatting.millis),
            recordedBy: me, confirmedBy: nil, confirmedAtMs: nil
        )
        await perform { try await self.app.recordOutcome(visitId: self.visitId, outcome: outcome) }
    }

    public func confirmAsPartner() async {
        guard canConfirm, let me else { return }
        await perform { try await self.app.confirmVisit(visitId: self.visitId, partnerId: me) }
    }

    private func perform(_ call: () async throws -> Void) async {
        do {
            try await call()
            await load()
        } catch {
            self.error = L10n.of(error)
        }
    }
}
