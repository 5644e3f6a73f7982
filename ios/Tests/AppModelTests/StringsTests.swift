// Both languages have every word, with the same placeholders.

import AppModel
import XCTest

final class StringsTests: XCTestCase {
    func testEveryWordExistsInEnglishAndSpanishWithTheSamePlaceholders() {
        for key in L10n.allCases {
            let english = Strings.table(.english)[key], spanish = Strings.table(.spanish)[key]
            XCTAssertFalse(english?.isEmpty ?? true, "no English for \(key)")
            XCTAssertFalse(spanish?.isEmpty ?? true, "no Spanish for \(key)")
            XCTAssertEqual(english?.components(separatedBy: "%@").count, spanish?.components(separatedBy: "%@").count, "\(key)")
        }
        // Spanish is a translation, not a copy (a few words are the same in both: "Plan").
        let same = L10n.allCases.filter { Strings(.english)($0) == Strings(.spanish)($0) }
        XCTAssertLessThanOrEqual(same.count, 2, "\(same)")
    }

    func testTheUILanguageFollowsThePhonesPreferredLanguages() {
        XCTAssertEqual(UILanguage.preferred(["es-MX", "en-US"]), .spanish)
        XCTAssertEqual(UILanguage.preferred(["fr-FR", "es_ES"]), .spanish)
        XCTAssertEqual(UILanguage.preferred(["vi-VN"]), .english)
        XCTAssertEqual(UILanguage.preferred([]), .english)
    }

    func testCountsReadNaturally() {
        XCTAssertEqual(Strings(.english).unsyncedDocuments(1), "1 change waiting to sync")
        XCTAssertEqual(Strings(.spanish).unsyncedDocuments(3), "3 cambios pendientes de sincronizar")
        XCTAssertEqual(Strings(.english).signOutWarning(0), Strings(.english)(.signOutNothingLost))
        XCTAssertEqual(Strings(.spanish).signOutWarning(2),
                       "2 cambios pendientes de sincronizar. Se perderán si cierra la sesión ahora.")
    }
}
