import Foundation
import Gatehouse
import GatehouseIdentity

/// The one place every answer of `serve` goes through, whatever the door it came in by: it assigns
/// the decision id, writes the decision-log line, counts the metrics, and renders the answer.
package final class Ledger: Sendable {
    let log: DecisionLog?
    let metrics: ServerMetrics

    package init(log: DecisionLog?, metrics: ServerMetrics) {
        self.log = log
        self.metrics = metrics
    }

    /// Records `decision`, made for `asked`, and renders what is sent back.
    func answer(_ decision: Decision, to asked: Asked) -> Answer {
        let id = DecisionID.next()
        let answer = Answer(decision, id: id, door: asked.door)
        let elapsed = ContinuousClock.now - asked.started
        metrics.decided(decision, gateway: asked.door.name, duration: elapsed)
        log?.record(
            DecisionLogLine(
                time: "", decisionID: id, gateway: asked.door.name, policy: asked.policy.shortSHA256,
                method: asked.method, path: decision.path, rule: decision.rule, code: decision.code,
                status: answer.status, engineStatus: answer.status == decision.status ? nil : decision.status,
                username: decision.identity?.username, provider: decision.identity?.provider,
                scheme: decision.identity?.scheme.rawValue, groups: decision.identity?.groups,
                scopes: decision.identity?.scopes,
                token: asked.tokenFingerprint(decision.credential), basicUser: asked.basicUser(decision.credential),
                latencyMicroseconds: Int(elapsed.components.seconds) * 1_000_000
                    + Int(elapsed.components.attoseconds / 1_000_000_000_000)),
            at: asked.now)
        return answer
    }
}
