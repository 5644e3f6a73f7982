// Notes and Debrief screens: text fields both partners edit, often at once and offline. The user's
// typing becomes splices (in order); a partner's words arrive with a sync (or at once in live mode)
// and are merged into what the user sees, with the user's cursor and selection mapped through the
// merge so they keep typing where they were. No words are lost on either side.

import HomevisitCore
import Observation

public enum NoteSection: Sendable {
    /// After the visit: what the family shared.
    case notes
    /// The pair's reflection.
    case debrief

    public var fields: [NoteField] {
        switch self {
        case .notes: return [.hopesAndDreams, .invitation, .familyExpectations, .schoolExpectations, .communicationRhythm]
        case .debrief: return [.learned, .assumptionsChanged, .useInClass, .nextSteps]
        }
    }
}

/// One field as shown: its text and the user's selection (UTF-16 offsets; empty = a cursor).
public struct FieldState: Equatable, Sendable {
    public var text: String
    public var selection: Range<Int>

    public init(text: String, selection: Range<Int>) {
        self.text = text
        self.selection = selection
    }
}

@MainActor
@Observable
public final class NoteEditorModel {
    public private(set) var fields: [NoteField: FieldState] = [:]
    public private(set) var live = false
    public private(set) var debriefDone: DebriefDone?
    /// Who marked the debrief done, by name (from the roster).
    public private(set) var debriefDoneBy: String?
    public private(set) var error: L10n?
    public let section: NoteSection
    public let visitId: String

    private let app: HomevisitApp
    public let me: String?
    @ObservationIgnored private let work = SerialWork()
    @ObservationIgnored private var pendingEdits = 0
    @ObservationIgnored private var refreshQueued = false
    @ObservationIgnored private let listening = ListeningTask()

    /// Phone to phone with the visit's other educator (in the car, no signal); nil until the visit
    /// is read, or when this phone is not one of the visit's educators.
    public private(set) var partnerSync: PartnerSyncModel?

    /// `me`: this phone's educator id (who marks the debrief done).
    public init(app: HomevisitApp, visitId: String, section: NoteSection, me: String?) {
        self.app = app
        self.visitId = visitId
        self.section = section
        self.me = me
    }

    /// Loads the fields and listens for the partner's words; the debrief turns live mode on while
    /// it is open (both partners editing in the car).
    public func start() async {
        let changes = app.documentChanges()
        let visitId = visitId
        listening.replace(with: Task { [weak self] in
            for await documents in changes
            where documents.contains(where: { $0.kind == DocumentKind.visitNotes && $0.id == visitId }) {
                self?.scheduleRefresh()
            }
        })
        scheduleRefresh()
        if section == .debrief, let me, partnerSync == nil,
           let plan = try? await app.visit(visitId: visitId).plan, plan.educatorIds.contains(me),
           let partner = plan.educatorIds.first(where: { $0 != me }) {
            partnerSync = PartnerSyncModel(app: app, visitId: visitId, myId: me, partnerId: partner)
        }
        if section == .debrief { await setLive(true) }
        await settled()
    }

    /// Call when the screen goes away: stops listening and turns live mode off (battery).
    public func stop() async {
        listening.cancel()
        await settled()
        if live { await setLive(false) }
    }

    public func text(_ field: NoteField) -> String { fields[field]?.text ?? "" }
    public func selection(_ field: NoteField) -> Range<Int> { fields[field]?.selection ?? 0 ..< 0 }

    /// The text field changed (the user typed, pasted or deleted): shown at once, saved in order.
    public func userEdited(_ field: NoteField, text newText: String, selection: Range<Int>) {
        let base = fields[field]?.text ?? ""
        fields[field] = FieldState(text: newText, selection: selection)
        guard let splice = TextSplice.between(base, newText) else { return }
        pendingEdits += 1
        work.enqueue { [weak self] in await self?.save(splice, in: field, madeOn: base) }
    }

    /// The text field changed and did not say where the cursor is: it goes after what was typed.
    public func userEdited(_ field: NoteField, text newText: String) {
        let base = fields[field]?.text ?? ""
        let cursor = TextSplice.between(base, newText).map { $0.position + $0.text.utf16.count }
            ?? selection(field).upperBound
        userEdited(field, text: newText, selection: cursor ..< cursor)
    }

    public func userMovedCursor(_ field: NoteField, to selection: Range<Int>) {
        guard var state = fields[field] else { return }
        state.selection = selection
        fields[field] = state
    }

    /// Returns once every edit is saved and every queued refresh has run (for tests and sign-out).
    public func settled() async { await work.idle() }

    public func setLive(_ on: Bool) async {
        do {
            try await app.setLive(live: on)
            live = on
        } catch {
            self.error = L10n.of(error)
        }
    }

    public func markDebriefDone() async {
        guard let me else { return }
        await afterEdits { try await $0.app.markDebriefDone(visitId: $0.visitId, educatorId: me) }
    }

    public func reopenDebrief() async {
        await afterEdits { try await $0.app.reopenDebrief(visitId: $0.visitId) }
    }

    // MARK: Saving and merging

    /// Saves one edit. The user made it on `base`; if a sync has merged a partner's words into
    /// the field since, the edit is moved to the same place in the merged text (`splice_note` takes
    /// positions in the text as it is now).
    private func save(_ splice: TextSplice, in field: NoteField, madeOn base: String) async {
        defer { pendingEdits -= 1 }
        do {
            var splice = splice
            let current = try await app.noteText(visitId: visitId, field: field)
            if current != base {
                splice = Self.move(splice, from: base, to: current)
                scheduleRefresh()  // the partner's words are not shown yet
            }
            try await app.spliceNote(
                visitId: visitId, field: field, position: UInt32(splice.position),
                deleteCount: UInt32(splice.deleteCount), text: splice.text
            )
        } catch {
            self.error = L10n.of(error)
            scheduleRefresh()  // show what the library has
        }
    }

    /// `splice` (made on `base`) at the same place in `current`. A deletion that now spans words
    /// the partner added is dropped rather than delete them: never lose a partner's words.
    nonisolated static func move(_ splice: TextSplice, from base: String, to current: String) -> TextSplice {
        let mapping = TextMapping(from: base, to: current)
        let range = mapping.map(selection: splice.position ..< splice.position + splice.deleteCount)
        let deleted = Array(base.utf16)[splice.position ..< splice.position + splice.deleteCount]
        let there = Array(current.utf16)[range]
        let deleteCount = deleted.elementsEqual(there) ? range.count : 0
        return TextSplice(position: range.lowerBound, deleteCount: deleteCount, text: splice.text)
    }

    private func scheduleRefresh() {
        guard !refreshQueued else { return }
        refreshQueued = true
        work.enqueue { [weak self] in await self?.refresh() }
    }

    /// Reads the fields from the library and merges what changed into what is shown.
    private func refresh() async {
        refreshQueued = false
        do {
            for field in section.fields {
                let stored = try await app.noteText(visitId: visitId, field: field)
                // The user typed while this was read: that edit is queued behind this refresh and
                // the text read lacks it. Read again after it.
                if pendingEdits > 0 {
                    scheduleRefresh()
                    return
                }
                merge(stored, into: field)
            }
            let done = try await app.debriefDone(visitId: visitId)
            if done?.educatorId != debriefDone?.educatorId {
                let educators = done == nil ? [] : try await app.roster().educators
                debriefDoneBy = educators.first { $0.id == done?.educatorId }?.displayName
            }
            debriefDone = done
        } catch {
            self.error = L10n.of(error)
        }
    }

    private func merge(_ stored: String, into field: NoteField) {
        guard let shown = fields[field] else {
            let end = stored.utf16.count
            fields[field] = FieldState(text: stored, selection: end ..< end)
            return
        }
        guard shown.text != stored else { return }
        let mapping = TextMapping(from: shown.text, to: stored)
        fields[field] = FieldState(text: stored, selection: mapping.map(selection: shown.selection))
    }

    private func afterEdits(_ call: @escaping @MainActor (NoteEditorModel) async throws -> Void) async {
        work.enqueue { [weak self] in
            guard let self else { return }
            do {
                try await call(self)
            } catch {
                self.error = L10n.of(error)
            }
            self.scheduleRefresh()
        }
        await settled()
    }
}
