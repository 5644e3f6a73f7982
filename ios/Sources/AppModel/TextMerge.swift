// Text positions for co-editing. The library's positions are UTF-16 units (as String.utf16
// counts); the arithmetic here is on Unicode scalars, so no splice or cursor ever lands inside a
// surrogate pair, and is converted at the edges.

/// One edit as the library's `splice_note` takes it: delete `deleteCount` UTF-16 units at
/// `position`, insert `text` there.
public struct TextSplice: Equatable, Sendable {
    public var position: Int
    public var deleteCount: Int
    public var text: String

    public init(position: Int, deleteCount: Int, text: String) {
        self.position = position
        self.deleteCount = deleteCount
        self.text = text
    }

    /// The one splice that turns `old` into `new` (what a text field did as the user typed):
    /// the longest common prefix and suffix stay; nil when nothing changed.
    public static func between(_ old: String, _ new: String) -> TextSplice? {
        let a = Array(old.unicodeScalars), b = Array(new.unicodeScalars)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        if prefix == a.count, prefix == b.count { return nil }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let deleted = a[prefix ..< a.count - suffix]
        var inserted = String.UnicodeScalarView()
        inserted.append(contentsOf: b[prefix ..< b.count - suffix])
        return TextSplice(position: utf16Length(a[..<prefix]), deleteCount: utf16Length(deleted), text: String(inserted))
    }

    /// Applies the splice to `text` (positions in UTF-16 units, on scalar boundaries).
    public func applied(to text: String) -> String {
        let units = Array(text.utf16)
        let start = min(position, units.count), end = min(position + deleteCount, units.count)
        return String(decoding: units[..<start], as: UTF16.self) + self.text + String(decoding: units[end...], as: UTF16.self)
    }
}

/// Where positions of one version of a text are in another version of it (after a merge brought
/// in a partner's words): unchanged text keeps its place relative to the positions around it.
public struct TextMapping: Sendable {
    private let old: [Unicode.Scalar]
    private let new: [Unicode.Scalar]
    private let removed: Set<Int>   // scalar offsets in the old text
    private let inserted: Set<Int>  // scalar offsets in the new text

    public init(from old: String, to new: String) {
        let a = Array(old.unicodeScalars), b = Array(new.unicodeScalars)
        let difference = b.difference(from: a)  // Myers: disjoint edits stay disjoint
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        self.old = a
        self.removed = removed
        self.inserted = inserted
        self.new = b
    }

    /// The position in the new text of UTF-16 position `position` of the old text. Text inserted
    /// exactly at the position goes after it (the user keeps typing where they were); a position
    /// inside deleted text moves to where the deletion was.
    public func map(utf16 position: Int) -> Int {
        let target = Self.scalarOffset(ofUTF16: position, in: old)
        var i = 0, j = 0
        while i < target {
            if removed.contains(i) { i += 1; continue }
            if inserted.contains(j) { j += 1; continue }
            i += 1
            j += 1
        }
        return utf16Length(new[..<j])
    }

    public func map(selection: Range<Int>) -> Range<Int> {
        let lower = map(utf16: selection.lowerBound)
        return lower ..< max(lower, map(utf16: selection.upperBound))
    }

    /// The scalar offset at UTF-16 `position` (rounded down to a scalar boundary, clamped to the end).
    static func scalarOffset(ofUTF16 position: Int, in scalars: [Unicode.Scalar]) -> Int {
        var units = 0
        for (offset, scalar) in scalars.enumerated() {
            let next = units + UTF16.width(scalar)
            if next > position { return offset }
            units = next
        }
        return scalars.count
    }
}

func utf16Length<S: Sequence>(_ scalars: S) -> Int where S.Element == Unicode.Scalar {
    scalars.reduce(0) { $0 + UTF16.width($1) }
}
