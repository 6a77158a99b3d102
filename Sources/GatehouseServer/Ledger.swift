import Foundation
import Gatehouse
import GatehouseIdentity

/// The one place every answer of `serve` goes through, whatever the door it came in by: it assigns
/// the decision id, writes the decision-log line, counts the metrics, and renders the answer.
final class Ledger: Sendable {
    let log: DecisionLog?
    let metrics: ServerMetrics

    init(log: DecisionLog?, metrics: ServerMetrics) {
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
                token: decision.credentialDigest?.fingerprint ?? Digest.fingerprint(authorization: asked.authorization),
                latencyMicroseconds: Int(elapsed.components.seconds) * 1_000_000
                    + Int(elapsed.components.attoseconds / 1_000_000_000_000)),
            at: asked.now)
        return answer
    }
}

/// A door a decision is asked for by.
enum Door: Sendable, Equatable {
    /// A gateway's check request, in its convention.
    case gateway(GatewayConvention)
    /// `POST /v1/decide`: a request document in, a decision out.
    case decide

    /// Its name in logs and metrics: the convention's, or `decide`.
    var name: String {
        switch self {
        case .gateway(let convention): convention.rawValue
        case .decide: "decide"
        }
    }
}

/// One request being decided: by which door, under which policy, at what time, since when.
struct Asked: Sendable {
    let door: Door
    /// The original request's method, when known.
    let method: String?
    /// Its `Authorization` value, named in the log when the decision did not look at it.
    let authorization: String?
    let policy: ActivePolicy.Loaded
    let now: Date
    let started: ContinuousClock.Instant
}

/// What is sent back: the status, the header fields and the body, with the decision and its id.
struct Answer: Sendable {
    let decision: Decision
    let id: String
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String?

    /// Renders `decision` for `door`: a gateway's answer in its convention, or for `/v1/decide`
    /// the decision as JSON (200; 400 when the request document could not be read).
    init(_ decision: Decision, id: String, door: Door) {
        self.decision = decision
        self.id = id
        switch door {
        case .gateway(let convention):
            let answer = GatewayAnswer(decision, for: convention, decisionID: id)
            (status, headers, body) = (answer.status, answer.headers, answer.body)
        case .decide:
            var decision = decision
            decision.decisionID = id
            status = decision.code == .requestMalformed ? 400 : 200
            headers = [(GatewayAnswer.decisionIDHeader, id), ("Content-Type", "application/json")]
            body = JSONText.encode(decision)
        }
    }
}
