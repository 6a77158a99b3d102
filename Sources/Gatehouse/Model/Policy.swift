/// A checked policy: every value validated, every reference resolved. Built by ``PolicyChecker``.
public struct Policy: Sendable {
    /// The policy's name, used as the realm of challenges.
    public let name: String
    /// Where the policy was read from.
    public let file: String
    /// Identity providers, in file order.
    public let providers: [Provider]
    /// Static API tokens.
    public let apiTokens: [APIToken]
    /// Users for the Basic scheme.
    public let basicUsers: [BasicUser]
    /// Schemes allowed wherever a rule does not name its own.
    public let schemes: SchemeSet
    /// Headers passed upstream on allow, in file order.
    public let upstreamHeaders: [UpstreamHeader]
    /// Rules, in file order; the first that matches decides.
    public let rules: [Rule]
    /// What happens when no rule matches.
    public let defaultAction: DefaultAction
    /// Whether path literals compare case-sensitively (the default).
    public let caseSensitivePaths: Bool

    /// The provider with `id`, if any.
    public func provider(_ id: String) -> Provider? { providers.first { $0.id == id } }
}

/// What a policy does with a request that no rule matches.
public enum DefaultAction: String, Sendable, CaseIterable {
    /// 403 `default.deny`.
    case deny
    /// Any verified caller is allowed.
    case authenticated
    /// Everyone is allowed (warned about by `check`).
    case anyone
}

/// A header the gateway passes upstream on allow, and the identity field it carries.
public struct UpstreamHeader: Sendable, Hashable {
    /// The header name as written.
    public let name: String
    /// The field of the identity it carries.
    public let field: IdentityField
}

/// A field of a caller's identity that can be passed upstream.
public enum IdentityField: String, Sendable, CaseIterable {
    case username, subject, provider, scheme, groups, scopes, rule
}
