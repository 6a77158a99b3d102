import Gatehouse

/// What is sent back: the status, the header fields and the body, with the decision and its id.
struct Answer: Sendable {
    let decision: Decision
    let id: String
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String?
    /// The revision of the policy that decided, when one did.
    let revision: String?

    /// Renders `decision`, made under the policy `revision`, for `door`: a gateway's answer in its
    /// convention (with the signed `assertion` on allow, when the policy has one), or for
    /// `/v1/decide` the decision as JSON (200; 400 when the request document could not be read).
    init(
        _ decision: Decision, id: String, revision: String?, door: Door, assertion: (name: String, value: String)? = nil
    ) {
        self.decision = decision
        self.id = id
        self.revision = revision
        if let convention = door.convention {
            let answer = GatewayAnswer(
                decision, for: convention, decisionID: id, revision: revision, assertion: assertion)
            (status, headers, body) = (answer.status, answer.headers, answer.body)
        } else {
            var decision = decision
            decision.decisionID = id
            status = decision.code == .requestMalformed ? 400 : 200
            headers =
                [(GatewayAnswer.decisionIDHeader, id)] + (revision.map { [(GatewayAnswer.revisionHeader, $0)] } ?? [])
                + [("Content-Type", "application/json")]
            body = JSONText.encode(decision)
        }
    }
}
