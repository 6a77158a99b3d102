/// What the matched rule accepts of a caller, told to the verifier so it does no work that could
/// not lead to an allow and asks no provider the rule does not accept.
public struct Acceptance: Sendable {
    /// The schemes the rule accepts.
    public let schemes: SchemeSet
    /// The providers the rule accepts; empty for any of the policy's.
    public let providers: [String]

    /// Creates an acceptance.
    public init(schemes: SchemeSet, providers: [String] = []) {
        self.schemes = schemes
        self.providers = providers
    }

    /// Whether a caller vouched for by `provider` could be accepted.
    public func accepts(provider: String) -> Bool { providers.isEmpty || providers.containsExactly(provider) }
}
