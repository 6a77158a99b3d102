import Foundation
import Gatehouse
import Synchronization

/// A candidate policy every request is decided under too, never enforced: each disagreement with
/// the active decision (another outcome, status, code or rule) is counted by active rule,
/// candidate rule and outcome, and logged with both decisions. What needs no waiting is decided at
/// once; a credential the candidate must verify is verified off the answer's path, at most
/// ``limit`` at a time (the rest are skipped and counted), so the shadow never delays an answer.
package final class Shadow: Sendable {
    /// The candidate: a policy file or a bundle of its own, swapped like the active one.
    let policy: ActivePolicy
    let metrics: ServerMetrics
    /// The most candidate verifications in flight.
    let limit: Int
    private let inFlight = Atomic<Int>(0)

    package init(policy: ActivePolicy, metrics: ServerMetrics, limit: Int = 1024) {
        self.policy = policy
        self.metrics = metrics
        self.limit = limit
    }

    /// Decides `asked` under the candidate and compares with `answer`'s decision;
    /// `disagreement` is told of each one, with the candidate's decision and policy.
    func decide(
        _ asked: Asked, as answer: Answer,
        disagreement: @escaping @Sendable (Decision, ActivePolicy.Loaded) -> Void
    ) {
        guard let original = asked.original, let candidate = policy.loaded else { return }
        let active = answer.decision
        switch candidate.evaluator.begin(original, verifier: candidate.verifier, now: asked.now) {
        case .decided(let decision):
            compare(active, decision, candidate, disagreement)
        case .pending(let pending):
            guard inFlight.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
                inFlight.wrappingSubtract(1, ordering: .relaxed)
                metrics.shadowSkipped()
                return
            }
            Task {
                defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
                let decision = await candidate.evaluator.finish(pending, verifier: candidate.verifier, now: asked.now)
                compare(active, decision, candidate, disagreement)
            }
        }
    }

    private func compare(
        _ active: Decision, _ candidate: Decision, _ loaded: ActivePolicy.Loaded,
        _ disagreement: (Decision, ActivePolicy.Loaded) -> Void
    ) {
        let agrees =
            active.outcome == candidate.outcome && active.status == candidate.status && active.code == candidate.code
            && active.rule == candidate.rule
        metrics.shadowed(active: active, candidate: candidate, agrees: agrees)
        if !agrees { disagreement(candidate, loaded) }
    }
}
