/// When to ask a bundle server again. After a good poll (a new bundle or `304`), a random wait
/// between ``minimum`` and ``maximum``, so replicas started together do not poll together. After
/// consecutive failures the wait backs off: after `n` of them it is random in the upper half of
/// `minimum × 2^(n−1)`, never below ``minimum`` nor above ``maximum``, so a bundle server that is
/// down is not hammered and one that comes back is asked again within ``maximum``.
public struct PollSchedule: Sendable, Equatable {
    public let minimum: Duration
    public let maximum: Duration

    /// A schedule between `minimum` and `maximum`; nil unless `0 < minimum ≤ maximum`.
    public init?(minimum: Duration, maximum: Duration) {
        guard minimum > .zero, minimum <= maximum else { return nil }
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The wait after `failures` consecutive failed polls (0 after a good one).
    public func wait(afterFailures failures: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        guard failures > 0 else { return random(from: minimum, to: maximum, using: &generator) }
        let ceiling = min(maximum, minimum * (1 << min(failures - 1, 30)))
        return random(from: max(minimum, ceiling / 2), to: ceiling, using: &generator)
    }

    /// A uniform wait in `[low, high]`, to the millisecond.
    private func random(from low: Duration, to high: Duration, using generator: inout some RandomNumberGenerator)
        -> Duration
    {
        let (lowMs, highMs) = (Self.milliseconds(low), Self.milliseconds(high))
        return .milliseconds(lowMs >= highMs ? lowMs : Int64.random(in: lowMs...highMs, using: &generator))
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
