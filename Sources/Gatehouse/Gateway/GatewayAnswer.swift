/// What a gateway is sent for a decision: the status it understands, the headers, and a JSON body
/// for refusals. On allow: 200, `X-Gatehouse-Decision`, `X-Gatehouse-Revision`, every upstream
/// header of the policy (empty when unknown, so a client's copy never survives) and the signed
/// assertion when the policy has one (empty for a caller nobody vouched for). On deny: the
/// status for that gateway, the same two, `WWW-Authenticate` when the decision has a challenge, and
/// `{code, reason, decision_id}`, never a token or secret.
public struct GatewayAnswer: Sendable, Encodable {
    /// The gateway it is for.
    public let gateway: GatewayConvention
    /// The status sent, after the gateway's mapping (``GatewayConvention/status(for:)``).
    public let status: Int
    /// The header fields, in the order sent.
    public let headers: [(name: String, value: String)]
    /// The body of a refusal.
    public let body: String?

    /// The name of the header that carries the decision's id.
    public static let decisionIDHeader = "X-Gatehouse-Decision"
    /// The name of the header that carries the revision of the policy that decided.
    public static let revisionHeader = "X-Gatehouse-Revision"

    /// Renders `decision` for `gateway`, under the id `decisionID`, made under the policy
    /// `revision` (none when no policy is active); on allow, with the policy's signed `assertion`
    /// header when it has one.
    public init(
        _ decision: Decision, for gateway: GatewayConvention, decisionID: String, revision: String?,
        assertion: (name: String, value: String)? = nil
    ) {
        self.gateway = gateway
        let named = [(Self.decisionIDHeader, decisionID)] + (revision.map { [(Self.revisionHeader, $0)] } ?? [])
        guard decision.isAllowed else {
            status = gateway.status(for: decision)
            var headers = named + [("Content-Type", "application/json")]
            if let challenge = decision.challenge { headers.append(("WWW-Authenticate", challenge)) }
            self.headers = headers
            body = JSONText.encode(RefusalBody(code: decision.code, reason: decision.reason, decisionID: decisionID))
            return
        }
        status = 200
        headers = named + decision.headers.sorted { $0.key < $1.key }.map { ($0, $1) } + (assertion.map { [$0] } ?? [])
        body = nil
    }

    /// The first value of the header `name`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringCase(name) }?.value
    }

    enum CodingKeys: String, CodingKey { case gateway, status, headers, body }

    /// Headers as an object (an answer never sends one name twice).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(gateway.rawValue, forKey: .gateway)
        try container.encode(status, forKey: .status)
        try container.encode(Dictionary(headers, uniquingKeysWith: { first, _ in first }), forKey: .headers)
        try container.encodeIfPresent(body, forKey: .body)
    }
}

/// A refusal's body: a code, a reason, the decision id.
struct RefusalBody: Encodable {
    let code: DecisionCode
    let reason: String
    let decisionID: String

    enum CodingKeys: String, CodingKey {
        case code, reason
        case decisionID = "decision_id"
    }
}
