import Foundation
import Gatehouse

/// Decides what `serve` is asked, by any door, and answers through the ``Ledger``. A gateway's
/// check request begins on whatever thread read it (``begin(_:_:)``): when no waiting is needed it
/// is answered there, else it is a ``PendingCheck`` that ``finish(_:)`` completes, reusing
/// everything the first step computed.
package struct Decisions: Sendable {
    let policy: ActivePolicy
    let ledger: Ledger
    let clock: @Sendable () -> Date

    /// Decides under `policy`, answering through `ledger`, at the times `clock` gives.
    package init(policy: ActivePolicy, ledger: Ledger, clock: @escaping @Sendable () -> Date) {
        self.policy = policy
        self.ledger = ledger
        self.clock = clock
    }

    /// Where a check request stands after ``begin(_:_:)``.
    enum Step: Sendable {
        case answered(Answer)
        case pending(PendingCheck)
    }

    /// Decides `check` as far as it can without waiting.
    func begin(_ check: CheckRequest, _ convention: GatewayConvention) -> Step {
        let started = ContinuousClock.now
        switch convention.originalRequest(of: check) {
        case .failure(let missing):
            return .answered(
                refuse(missing.decision, door: .gateway(convention), headers: check.headers, since: started))
        case .success(let original):
            return begin(
                original, door: .gateway(convention), headers: check.headers, target: check.target, since: started)
        }
    }

    /// Decides `original`, asked for by `door` in a request with `headers` and its own `target`,
    /// as far as it can without waiting.
    func begin(
        _ original: APIRequest, door: Door, headers: [(name: String, value: String)], target: String,
        since started: ContinuousClock.Instant = .now
    ) -> Step {
        let loaded = policy.loaded
        let now = clock()
        let asked = Asked(door: door, original: original, headers: headers, policy: loaded, now: now, started: started)
        guard let loaded else { return .answered(ledger.answer(Self.noPolicy, to: asked)) }
        switch loaded.evaluator.begin(original, verifier: loaded.verifier, now: now) {
        case .decided(let decision): return .answered(ledger.answer(decision, to: asked))
        case .pending(let pending): return .pending(PendingCheck(asked: asked, pending: pending, target: target))
        }
    }

    /// Answers `decision`, a refusal made before any policy applied, asked for by `door` in a
    /// request with `headers`.
    func refuse(
        _ decision: Decision, door: Door, headers: [(name: String, value: String)],
        since started: ContinuousClock.Instant = .now
    ) -> Answer {
        let asked = Asked(
            door: door, original: nil, headers: headers, policy: policy.loaded, now: clock(), started: started)
        return ledger.answer(decision, to: asked)
    }

    /// Verifies a pending check's credential and answers.
    func finish(_ check: PendingCheck) async -> Answer {
        guard let loaded = check.asked.policy else { return ledger.answer(Self.noPolicy, to: check.asked) }
        let decision = await loaded.evaluator.finish(check.pending, verifier: loaded.verifier, now: check.asked.now)
        return ledger.answer(decision, to: check.asked)
    }

    /// Refuses `check` outright with `code`, before any policy applies.
    func refuse(_ check: CheckRequest, _ convention: GatewayConvention, _ code: DecisionCode, reason: String)
        -> Answer
    {
        refuse(.refusal(code, reason: reason), door: .gateway(convention), headers: check.headers)
    }

    /// Decides `step`'s check, waiting for verification when it must.
    func answer(_ step: Step) async -> Answer {
        switch step {
        case .answered(let answer): return answer
        case .pending(let pending): return await finish(pending)
        }
    }

    /// Decides `check`, waiting for verification when it must.
    func answer(_ check: CheckRequest, _ convention: GatewayConvention) async -> Answer {
        await answer(begin(check, convention))
    }

    /// The refusal of every request while no policy is active (a server fed by a bundle server
    /// that has not yet had a good one): fail closed.
    static let noPolicy = Decision.refusal(.policyUnavailable, reason: "no policy is active yet")

    /// `POST /v1/decide`: the request document `body`, decided. A caller cannot be simulated here:
    /// credentials travel in the document's headers and are verified.
    func decide(document body: String) async -> Answer {
        let started = ContinuousClock.now
        let loaded = policy.loaded
        let now = clock()
        let refused = { (reason: String) in
            let asked = Asked(
                door: .decide, original: nil, headers: [], policy: loaded, now: now, started: started)
            return ledger.answer(.refusal(.requestMalformed, reason: reason), to: asked)
        }
        switch RequestFile.parse(SourceFile(name: "request", text: body)) {
        case .failure(let list):
            let message = list.diagnostics.first.map {
                "\($0.location.map { "\($0.line):\($0.column): " } ?? "")\($0.message)"
            }
            return refused(message ?? "the request document is malformed")
        case .success(let parsed):
            guard parsed.caller == nil else {
                return refused("`identity` cannot be simulated here; send credentials in `headers`")
            }
            let asked = Asked(
                door: .decide, original: parsed.request, headers: parsed.request.headers, policy: loaded,
                now: now, started: started)
            guard let loaded else { return ledger.answer(Self.noPolicy, to: asked) }
            let decision = await loaded.evaluator.evaluate(parsed.request, verifier: loaded.verifier, now: now)
            return ledger.answer(decision, to: asked)
        }
    }
}

/// A gateway's check request waiting for its credential to be verified: what it was asked and
/// the engine's pending decision. The fast path hands it to the router this way, so nothing of
/// the first step (the target, the rule, the token's digest) is computed twice.
struct PendingCheck: Sendable {
    let asked: Asked
    let pending: PendingDecision
    /// The check request's own target, to pair the handed-off check with the request it belongs to.
    let target: String
}
