import Synchronization

/// What SIGTERM begins: from then on `/readyz` answers 503 (`draining`), so load balancers stop
/// sending, while every request is still served for ``period``; then the listener closes and the
/// requests in flight are answered. `/healthz` stays 200 until the process exits.
public final class Drain: Sendable {
    public let period: Duration
    private let started = Atomic<Bool>(false)

    public init(period: Duration) {
        self.period = period
    }

    /// Whether the drain has begun.
    public var isDraining: Bool { started.load(ordering: .relaxed) }

    /// Begins the drain: true the first time, false when it had begun already.
    func begin() -> Bool { !started.exchange(true, ordering: .relaxed) }
}
