// Runs async work on the main actor one piece after another, in the order it was queued: a note
// editor's splices must reach the library in the order the user typed them.

@MainActor
final class SerialWork {
    private var tail: Task<Void, Never>?

    func enqueue(_ work: @escaping @MainActor () async -> Void) {
        let previous = tail
        tail = Task { @MainActor in
            await previous?.value
            await work()
        }
    }

    /// Returns once everything queued (including what gets queued meanwhile) has run.
    func idle() async {
        while let current = tail {
            await current.value
            if tail == current {
                tail = nil
                return
            }
        }
    }
}
