/// `/readyz`: the policy in force and whether each provider can be used (a reason when not).
struct Readiness: Encodable {
    let status: String
    let policy: String
    let policySHA256: String
    let providers: [String: String]

    enum CodingKeys: String, CodingKey {
        case status, policy, providers
        case policySHA256 = "policy_sha256"
    }
}
