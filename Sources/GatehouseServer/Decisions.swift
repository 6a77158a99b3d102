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
        let loaded = policy.loaded
        let now = clock()
        switch convention.originalRequest(of: check) {
        case .failure(let missing):
            let asked = Asked(
                door: .gateway(convention), original: nil, headers: check.headers, policy: loaded, now: now,
                started: started)
            return .answered(ledger.answer(missing.decision, to: asked))
        case .success(let original):
            let asked = Asked(
                door: .gateway(convention), original: original, headers: check.headers, policy: loaded,
                now: now, started: started)
            guard let loaded else { return .answered(ledger.answer(Self.noPolicy, to: asked)) }
            switch loaded.evaluator.begin(original, verifier: loaded.verifier, now: now) {
            case .decided(let decision): return .answered(ledger.answer(decision, to: asked))
            case .pending(let pending):
                return .pending(PendingCheck(asked: asked, pending: pending, target: check.target))
            }
        }
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
        let asked = Asked(
            door: .gateway(convention), original: nil, headers: check.headers, policy: policy.loaded, now: clock(),
            started: .now)
        return ledger.answer(.refusal(code, reason: reason), to: asked)
    }

    /// Decides `check`, waiting for verification when it must.
    func answer(_ check: CheckRequest, _ convention: GatewayConvention) async -> Answer {
        switch begin(check, convention) {
        case .answered(let answer): return answer
        case .pending(let pending): return await finish(pending)
        }
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
