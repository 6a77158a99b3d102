import NIOCore

/// An event loop's own time as a `Clock`, so that ``ConnectionState`` and NIO's scheduled tasks
/// read the same time (an `EmbeddedEventLoop`'s, in tests, moves only when told).
struct EventLoopClock: Clock {
    struct Instant: InstantProtocol {
        let deadline: NIODeadline

        func advanced(by duration: Duration) -> Instant {
            Instant(deadline: deadline + .nanoseconds(duration.nanoseconds))
        }

        func duration(to other: Instant) -> Duration {
            .nanoseconds(other.deadline.uptimeNanoseconds) - .nanoseconds(deadline.uptimeNanoseconds)
        }

        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.deadline < rhs.deadline }
    }

    let eventLoop: any EventLoop

    var now: Instant { Instant(deadline: eventLoop.now) }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await Task.sleep(for: now.duration(to: deadline))
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
