/// `/readyz`: the policy in force (its file, digest and revision) and whether each provider can
/// be used (a reason when not); with a bundle server, what it last gave; with a shadow rollout,
/// the candidate. Not ready (503) while no policy is in force or a provider cannot be used.
struct Readiness: Encodable {
    let status: String
    /// Why there is no policy to decide with, when there is none.
    let reason: String?
    let policy: String?
    let policySHA256: String?
    let revision: String?
    let builtAt: String?
    /// Said whenever the server takes unsigned bundles.
    let unsignedBundles: Bool?
    let bundle: BundleStatus?
    let shadow: ShadowStatus?
    let providers: [String: String]

    /// The candidate policy of a shadow rollout.
    struct ShadowStatus: Encodable {
        let policy: String?
        let revision: String?
        let bundle: BundleStatus?
    }

    enum CodingKeys: String, CodingKey {
        case status, reason, policy, revision, bundle, shadow, providers
        case policySHA256 = "policy_sha256"
        case builtAt = "built_at"
        case unsignedBundles = "unsigned_bundles"
    }
}
