import Foundation
import Gatehouse
import GatehouseIdentity

/// The one place every answer of `serve` goes through, whatever the door it came in by: it assigns
/// the decision id, writes the decision-log line, counts the metrics, and renders the answer. With
/// a shadow policy, it has the candidate decide each request too (``Shadow``), never enforced.
package final class Ledger: Sendable {
    let log: DecisionLog?
    let metrics: ServerMetrics
    let shadow: Shadow?
    /// Whether the server takes unsigned bundles: said on every log line.
    let unsignedBundles: Bool

    package init(log: DecisionLog?, metrics: ServerMetrics, shadow: Shadow? = nil, unsignedBundles: Bool = false) {
        self.log = log
        self.metrics = metrics
        self.shadow = shadow
        self.unsignedBundles = unsignedBundles
    }

    /// Records `decision`, made for `asked`, and renders what is sent back.
    func answer(_ decision: Decision, to asked: Asked) -> Answer {
        let id = DecisionID.next()
        let answer = Answer(
            decision, id: id, revision: asked.policy?.revision, door: asked.door,
            assertion: asked.policy?.assertion(for: decision, id: id, door: asked.door, now: asked.now))
        let elapsed = ContinuousClock.now - asked.started
        metrics.decided(decision, gateway: asked.door.name, duration: elapsed)
        log?.record(line(answer, asked, latency: elapsed), at: asked.now)
        shadow?.decide(asked, as: answer) { [self] candidate, under in
            var line = line(answer, asked, latency: elapsed)
            line.candidate = DecisionLogLine.Candidate(
                revision: under.revision, rule: candidate.rule, code: candidate.code, status: candidate.status)
            log?.record(line, at: asked.now)
        }
        return answer
    }

    /// The log line of `answer`.
    private func line(_ answer: Answer, _ asked: Asked, latency elapsed: Duration) -> DecisionLogLine {
        let decision = answer.decision
        var line = DecisionLogLine(
            time: "", decisionID: answer.id, gateway: asked.door.name, policy: asked.policy?.shortSHA256,
            revision: asked.policy?.revision,
            method: asked.method, path: decision.path, rule: decision.rule, code: decision.code,
            status: answer.status, engineStatus: answer.status == decision.status ? nil : decision.status,
            username: decision.identity?.username, provider: decision.identity?.provider,
            scheme: decision.identity?.scheme.rawValue, groups: decision.identity?.groups,
            scopes: decision.identity?.scopes,
            token: asked.tokenFingerprint(decision.credential), basicUser: asked.basicUser(decision.credential),
            latencyMicroseconds: Int(elapsed.components.seconds) * 1_000_000
                + Int(elapsed.components.attoseconds / 1_000_000_000_000))
        line.unsignedBundles = unsignedBundles ? true : nil
        return line
    }
}
