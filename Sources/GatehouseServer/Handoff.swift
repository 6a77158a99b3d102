import Synchronization

/// The pending checks the fast path hands to the router on one connection, one entry (nil for a
/// request it did not begin) per request passed on, in order: the router takes one per request it
/// answers, which is the same order.
final class Handoff: Sendable {
    private let queue = Mutex<[PendingCheck?]>([])

    /// The fast path passed on a request; `check` is what it began of it, if anything.
    func pass(_ check: PendingCheck?) {
        queue.withLock { $0.append(check) }
    }

    /// What the fast path began of the next request the router answers.
    func take() -> PendingCheck? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}
