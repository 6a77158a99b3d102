/// The fast path's state of one connection, as a value whose methods return what to do, in the
/// shape of Hummingbird's `HTTPConnectionStateHandler.StateMachine`: which requests the fast path
/// may answer, what it holds to answer, when the connection is idle, when it closes. The clock is
/// injected; ``ImmediateDecisions`` only performs the actions.
///
/// Answers keep their order: while a request passed on to the router is unanswered, later requests
/// are passed on too. A response nobody asked for (Hummingbird answering a malformed request)
/// switches the fast path off for the rest of the connection: slower, never out of order.
struct ConnectionState<C: Clock, Answer> where C.Duration == Duration {
    /// Where the request being read stands.
    enum Reading {
        /// No request is being read.
        case idle
        /// It was passed on to the router; its parts follow it.
        case passedOn
        /// It is answered here, once its end has been read (and the connection closed after it).
        case answering(Answer, close: Bool)
    }

    /// Whether the fast path may answer at all on this connection.
    enum Mode: Equatable {
        case answering
        /// Off for good: a response arrived that no passed-on request asked for.
        case passingEverythingOn
    }

    let idleTimeout: Duration?
    let clock: C
    private(set) var mode = Mode.answering
    /// Requests passed on to the router and not yet answered by it.
    private(set) var passedOn = 0
    private(set) var reading = Reading.idle
    private(set) var lastActive: C.Instant
    private(set) var isActive = false
    /// Graceful shutdown was asked for: close as soon as nothing is in progress.
    private(set) var closeWhenAnswered = false

    init(idleTimeout: Duration?, clock: C) {
        self.idleTimeout = idleTimeout
        self.clock = clock
        lastActive = clock.now
    }

    /// Requests read (or being read) and not yet answered, by either path.
    var inProgress: Int {
        if case .answering = reading { return passedOn + 1 }
        return passedOn
    }

    enum ScheduleAction: Equatable {
        case scheduleTimeout(deadline: C.Instant)
        case doNothing
    }

    mutating func setActive() -> ScheduleAction {
        isActive = true
        guard let idleTimeout else { return .doNothing }
        return .scheduleTimeout(deadline: clock.now.advanced(by: idleTimeout))
    }

    mutating func setInactive() { isActive = false }

    enum HeadAction: Equatable {
        /// Nothing is ahead of it: decide it here if it needs no waiting, then say which
        /// (``answerHere(_:close:)`` or ``passOn()``).
        case decideHere
        /// Pass it on to the router (already counted).
        case passOn
    }

    mutating func headRead() -> HeadAction {
        lastActive = clock.now
        guard mode == .answering, passedOn == 0 else {
            passOn()
            return .passOn
        }
        return .decideHere
    }

    /// The request being read is answered here with `answer` once its end is read.
    mutating func answerHere(_ answer: Answer, close: Bool) {
        reading = .answering(answer, close: close)
    }

    /// The request being read goes to the router.
    mutating func passOn() {
        passedOn += 1
        reading = .passedOn
    }

    enum BodyAction: Equatable {
        case forward
        /// A body of a request answered here: read and ignored.
        case drop
    }

    mutating func bodyRead() -> BodyAction {
        lastActive = clock.now
        if case .answering = reading { return .drop }
        return .forward
    }

    enum EndAction {
        case forward
        /// Write the answer (and close the connection after it, when `close`).
        case send(Answer, close: Bool)
    }

    mutating func endRead() -> EndAction {
        lastActive = clock.now
        defer { reading = .idle }
        guard case .answering(let answer, let close) = reading else { return .forward }
        return .send(answer, close: close || (closeWhenAnswered && passedOn == 0))
    }

    enum ResponseAction: Equatable {
        case closeConnection
        case scheduleTimeout(deadline: C.Instant)
        case doNothing
    }

    /// The router finished a response.
    mutating func responseEnded() -> ResponseAction {
        lastActive = clock.now
        guard passedOn > 0 else {
            mode = .passingEverythingOn
            return .doNothing
        }
        passedOn -= 1
        if closeWhenAnswered && inProgress == 0 { return .closeConnection }
        guard let idleTimeout, isActive else { return .doNothing }
        return .scheduleTimeout(deadline: lastActive.advanced(by: idleTimeout))
    }

    enum TimeoutAction: Equatable {
        case closeConnection
        case rescheduleTimeout(deadline: C.Instant)
        case doNothing
    }

    /// The idle timer fired. A request read in full and still being decided keeps the connection
    /// open (the timer starts again with its answer); a stalled request does not.
    mutating func timeoutTriggered() -> TimeoutAction {
        guard let idleTimeout, isActive else { return .doNothing }
        if case .idle = reading, inProgress > 0 { return .doNothing }
        if clock.now >= lastActive.advanced(by: idleTimeout) { return .closeConnection }
        return .rescheduleTimeout(deadline: lastActive.advanced(by: idleTimeout))
    }

    enum QuiesceAction: Equatable {
        case closeConnection
        case doNothing
    }

    /// Graceful shutdown: close now if nothing is in progress, else once it is answered.
    mutating func quiesce() -> QuiesceAction {
        guard inProgress > 0 else { return .closeConnection }
        closeWhenAnswered = true
        return .doNothing
    }
}

extension ConnectionState.EndAction: Equatable where Answer: Equatable {}
