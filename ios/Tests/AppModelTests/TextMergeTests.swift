// Splices from a text field's edits, and cursors mapped through a merge (no library needed).

@testable import AppModel
import XCTest

final class TextMergeTests: XCTestCase {
    func testTypingDeletingAndReplacingBecomeOneSplice() {
        XCTAssertEqual(TextSplice.between("Sofia", "Sofia loves"), TextSplice(position: 5, deleteCount: 0, text: " loves"))
        XCTAssertEqual(TextSplice.between("Sofia loves", "Sofia"), TextSplice(position: 5, deleteCount: 6, text: ""))
        XCTAssertEqual(TextSplice.between("a cat sat", "a dog sat"), TextSplice(position: 2, deleteCount: 3, text: "dog"))
        XCTAssertNil(TextSplice.between("same", "same"))
        // Positions in UTF-16 units: the emoji before the edit counts two.
        XCTAssertEqual(TextSplice.between("🎨x", "🎨yx"), TextSplice(position: 2, deleteCount: 0, text: "y"))
        // Never half a surrogate pair: two emoji sharing a high surrogate differ as whole scalars.
        XCTAssertEqual(TextSplice.between("🎨", "🎩"), TextSplice(position: 0, deleteCount: 2, text: "🎩"))
        for (old, new) in [("🎨", "🎩"), ("Mateo", "Matteo"), ("ab", ""), ("", "ab"), ("aaa", "aaaa")] {
            XCTAssertEqual(TextSplice.between(old, new)?.applied(to: old), new)
        }
    }

    func testTheCursorMovesWithTheTextAroundIt() {
        let old = "We talked about Sofia."
        let cursor = 16  // before "Sofia"
        // The partner wrote before the cursor: it moves by what they wrote.
        XCTAssertEqual(TextMapping(from: old, to: "Mateo 🐉. " + old).map(utf16: cursor), cursor + "Mateo 🐉. ".utf16.count)
        // After the cursor: it stays.
        XCTAssertEqual(TextMapping(from: old, to: old + " Call Friday.").map(utf16: cursor), cursor)
        // Exactly at the cursor: the user keeps typing before the partner's words.
        XCTAssertEqual(TextMapping(from: "abcdef", to: "abcXYdef").map(utf16: 3), 3)
        // Edits on both sides at once.
        let both = "Today: We talked about Sofia. Next: call."
        XCTAssertEqual(TextMapping(from: old, to: both).map(utf16: cursor), "Today: We talked about ".utf16.count)
        // The text around the cursor was deleted: the cursor goes where it was.
        XCTAssertEqual(TextMapping(from: "abcXYZdef", to: "abcdef").map(utf16: 5), 3)
        // A selection keeps its words.
        let selection = TextMapping(from: old, to: "Hi. " + old).map(selection: 16 ..< 21)
        XCTAssertEqual(Array(("Hi. " + old).utf16)[selection], Array("Sofia".utf16)[...])
    }

    func testAnEditMadeOnOlderTextLandsInTheSamePlaceAndNeverDeletesThePartnersWords() {
        let base = "Call on Friday."
        // The user typed at the end; meanwhile the partner's words arrived at the start.
        let typed = TextSplice(position: 15, deleteCount: 0, text: " Bring books.")
        let moved = NoteEditorModel.move(typed, from: base, to: "Mateo: " + base)
        XCTAssertEqual(moved, TextSplice(position: 22, deleteCount: 0, text: " Bring books."))
        // The user deleted "on Friday" while the partner wrote inside it: their words stay.
        let deletion = TextSplice(position: 5, deleteCount: 9, text: "")
        let inside = NoteEditorModel.move(deletion, from: base, to: "Call on (late) Friday.")
        XCTAssertEqual(inside.deleteCount, 0)
        XCTAssertEqual(inside.applied(to: "Call on (late) Friday."), "Call on (late) Friday.")
        // A deletion the partner did not touch still deletes.
        let untouched = NoteEditorModel.move(deletion, from: base, to: "Hi. " + base)
        XCTAssertEqual(untouched.applied(to: "Hi. " + base), "Hi. Call .")
    }
}
