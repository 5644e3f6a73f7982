// Family: the family's language and children, both visits, and visit 1's hopes and dreams.

#if canImport(SwiftUI)
import AppModel
import SwiftUI

struct FamilyView: View {
    @State var model: FamilyModel
    let t: Strings

    var body: some View {
        List {
            if let language = model.languageName { Text(t(.familyLanguage, language)) }
            if model.family?.interpreterNeeded == true { Text(t(.interpreterNeeded)) }
            if !model.children.isEmpty {
                Section(t(.children)) { Text(model.children) }
            }
            if model.declined { Text(t(.familyDeclined)).foregroundStyle(.orange) }
            Section(t(.familyVisits)) {
                ForEach(model.visits) { row in
                    VStack(alignment: .leading) {
                        Text(t(.visitNumber, String(row.visitNumber))).font(.headline)
                        Text(row.statusText)
                    }
                    .accessibilityElement(children: .ignore)
                    .accessibilityLabel(row.accessibilityLabel)
                }
            }
            if let hopes = model.hopesFromVisitOne {
                Section(t(.hopesFromVisitOne)) { Text(hopes) }
            }
        }
        .navigationTitle(model.family?.displayName ?? t(.familyTitle))
        .task { await model.load() }
    }
}
#endif
