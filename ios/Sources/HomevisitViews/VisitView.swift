// Visit: plan, the family's language and interpreter need, agreement, outcome, partner confirmation,
// and the ways to the starters, notes, debrief and family screens.

#if canImport(SwiftUI)
import AppModel
import HomevisitCore
import SwiftUI

struct VisitView: View {
    @State var model: VisitModel
    let app: HomevisitApp
    let me: String?
    let formatting: Formatting

    var body: some View {
        let t = formatting.strings
        Form {
            Section(t(.planSection)) {
                Text(model.when)
                Text(model.place)
                Text(model.educatorNames.joined(separator: ", "))
                if let language = model.familyLanguage { Text(language) }
                if let need = model.interpreterNeed { Text(need) }
                Text(model.interpreterPlan)
            }
            Section(t(.familyAgreementSection)) {
                Text(model.familyAgreed ? t(.familyAgreed) : t(.familyNotAgreedYet))
                if !model.familyAgreed {
                    Button(t(.recordFamilyAgreement)) { Task { await model.recordFamilyAgreement() } }
                    Button(t(.recordFamilyDecline), role: .destructive) { Task { await model.recordFamilyDecline() } }
                }
            }
            Section(t(.outcomeSection)) {
                if let status = model.status { Text(t.status(status)) }
                Button(t(.outcomeCompleted)) { Task { await model.recordOutcome(.completed) } }
                Button(t(.outcomeFamilyNotHome)) { Task { await model.recordOutcome(.familyNotHome) } }
                Button(t(.outcomeCancelled)) { Task { await model.recordOutcome(.cancelled) } }
                Button(t(.outcomeRescheduled)) { Task { await model.recordOutcome(.rescheduled) } }
            }
            Section(t(.partnerConfirmationSection)) {
                Text(model.confirmation)
                if model.canConfirm {
                    Button(t(.confirmAsPartner)) { Task { await model.confirmAsPartner() } }
                }
            }
            Section {
                NavigationLink(t(.startersTitle)) {
                    StartersView(model: StartersModel(app: app, visitId: model.visitId, formatting: formatting), t: t)
                }
                NavigationLink(t(.notesTitle)) {
                    NoteEditorView(model: NoteEditorModel(app: app, visitId: model.visitId, section: .notes, me: me), t: t)
                }
                NavigationLink(t(.debriefTitle)) {
                    NoteEditorView(model: NoteEditorModel(app: app, visitId: model.visitId, section: .debrief, me: me), t: t)
                }
                if let familyId = model.visit?.plan.familyId {
                    NavigationLink(t(.familyTitle)) {
                        FamilyView(model: FamilyModel(app: app, familyId: familyId, formatting: formatting), t: t)
                    }
                }
            }
            if let error = model.error { Text(t(error)).foregroundStyle(.red) }
        }
        .navigationTitle(t(.visitTitle))
        .task { await model.start() }
        .onDisappear { model.stop() }
    }
}
#endif
