import Synchronization

/// What the fast path hands to the router on one connection: one entry (nil for a request it did
/// not look at) per request passed on, in order; the router takes one per request it answers,
/// which is the same order.
package final class Handoff: Sendable {
    private let queue = Mutex<[HandedOff?]>([])

    /// An empty handoff, for a new connection.
    package init() {}

    /// The fast path passed on a request, with what it made of it, if anything.
    func pass(_ entry: HandedOff?) {
        queue.withLock { $0.append(entry) }
    }

    /// What the fast path made of the next request the router answers.
    func take() -> HandedOff? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// What the fast path made of a check request it passed on to the router.
enum HandedOff: Sendable {
    /// A check begun and waiting for its credential to be verified.
    case pending(PendingCheck)
    /// A check request refused outright and recorded, whose answer the router only sends: one
    /// Hummingbird would read differently (an absolute-form target, rewritten to its path).
    case answered(Answer)

    /// The entry for the request the router is answering, if any.
    @TaskLocal static var current: HandedOff?
}
