import Testing

@testable import GatehouseServer

/// The fast path's connection state, without a channel: a clock the test moves, and the actions
/// each event returns.
@Suite struct ConnectionStateTests {
    /// Time that moves only when told.
    final class ManualClock: Clock, @unchecked Sendable {
        struct Instant: InstantProtocol {
            let offset: Duration
            func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
            func duration(to other: Instant) -> Duration { other.offset - offset }
            static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        }

        var now = Instant(offset: .zero)
        var minimumResolution: Duration { .nanoseconds(1) }
        func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
        func advance(_ duration: Duration) { now = now.advanced(by: duration) }
    }

    typealias State = ConnectionState<ManualClock, String>

    static func state(idleTimeout: Duration? = .seconds(60)) -> (State, ManualClock) {
        let clock = ManualClock()
        var state = State(idleTimeout: idleTimeout, clock: clock)
        #expect(state.setActive() == .scheduleTimeout(deadline: .init(offset: .seconds(60))))
        return (state, clock)
    }

    @Test func anAnswerHereIsSentWhenTheRequestEnds() {
        var (state, _) = Self.state()
        #expect(state.headRead() == .decideHere)
        state.answerHere("ok", close: false)
        #expect(state.bodyRead() == .drop)
        #expect(state.endRead() == .send("ok", close: false))
        #expect(state.inProgress == 0)
    }

    /// Behind a request passed on, every request is passed on until the router has answered.
    @Test func answersStayInRequestOrder() {
        var (state, _) = Self.state()
        #expect(state.headRead() == .decideHere)
        state.passOn()
        #expect(state.bodyRead() == .forward)
        #expect(state.endRead() == .forward)
        #expect(state.headRead() == .passOn)
        #expect(state.endRead() == .forward)
        #expect(state.inProgress == 2)
        _ = state.responseEnded()
        _ = state.responseEnded()
        #expect(state.headRead() == .decideHere)
    }

    /// A response nobody asked for (the router answering a malformed request) turns the fast path
    /// off for good, never leaving the count below zero.
    @Test func anUnaskedResponseTurnsTheFastPathOff() {
        var (state, _) = Self.state()
        #expect(state.responseEnded() == .doNothing)
        #expect(state.mode == .passingEverythingOn)
        #expect(state.passedOn == 0)
        #expect(state.headRead() == .passOn)
        #expect(state.endRead() == .forward)
        #expect(state.responseEnded() == .scheduleTimeout(deadline: .init(offset: .seconds(60))))
        #expect(state.headRead() == .passOn)
    }

    @Test func idleTimeouts() {
        var (state, clock) = Self.state()
        clock.advance(.seconds(30))
        #expect(state.headRead() == .decideHere)
        state.answerHere("ok", close: false)
        _ = state.endRead()
        clock.advance(.seconds(30))
        #expect(state.timeoutTriggered() == .rescheduleTimeout(deadline: .init(offset: .seconds(90))))
        clock.advance(.seconds(30))
        #expect(state.timeoutTriggered() == .closeConnection)
    }

    /// A request read in full and still being decided keeps the connection open; a stalled one
    /// (its end never read) does not.
    @Test func aRequestBeingDecidedIsNotIdleButAStalledOneIs() {
        var (state, clock) = Self.state()
        #expect(state.headRead() == .decideHere)
        state.passOn()
        _ = state.endRead()
        clock.advance(.seconds(120))
        #expect(state.timeoutTriggered() == .doNothing)
        #expect(state.responseEnded() == .scheduleTimeout(deadline: .init(offset: .seconds(180))))
        #expect(state.headRead() == .decideHere)
        state.passOn()
        clock.advance(.seconds(61))
        #expect(state.timeoutTriggered() == .closeConnection)
    }

    @Test func quiescing() {
        var (idle, _) = Self.state()
        #expect(idle.quiesce() == .closeConnection)
        var (busy, _) = Self.state()
        #expect(busy.headRead() == .decideHere)
        busy.answerHere("ok", close: false)
        #expect(busy.quiesce() == .doNothing)
        #expect(busy.endRead() == .send("ok", close: true))
        var (routed, _) = Self.state()
        #expect(routed.headRead() == .decideHere)
        routed.passOn()
        _ = routed.endRead()
        #expect(routed.quiesce() == .doNothing)
        #expect(routed.responseEnded() == .closeConnection)
    }

    @Test func withoutATimeoutNothingIsScheduled() {
        let clock = ManualClock()
        var state = State(idleTimeout: nil, clock: clock)
        #expect(state.setActive() == .doNothing)
        #expect(state.timeoutTriggered() == .doNothing)
    }
}
