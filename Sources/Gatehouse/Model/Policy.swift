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
    /// The override headers a request may carry (none by default).
    public let allowedOverrideHeaders: [OverrideHeader]
    /// The signed assertion every allow carries, when the policy asks for one.
    public let assertion: AssertionSettings?

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

    /// Its standard header: the one the shipped gateway configurations strip from clients and copy
    /// from Gatehouse's answer, whichever the policy sends.
    public var standardHeader: String {
        switch self {
        case .username: "X-Auth-User"
        case .subject: "X-Auth-Subject"
        case .provider: "X-Auth-Provider"
        case .scheme: "X-Auth-Scheme"
        case .groups: "X-Auth-Groups"
        case .scopes: "X-Auth-Scopes"
        case .rule: "X-Auth-Rule"
        }
    }

    /// Whether `name` is one of the standard headers (names compare case-insensitively).
    public static func isStandardHeader(_ name: String) -> Bool {
        allCases.contains { $0.standardHeader.equalsIgnoringCase(name) }
    }
}

/// Request headers that make backends route or dispatch differently from the request target a
/// gateway passes on (IIS and Symfony read `X-Original-URL`, many frameworks the method
/// overrides). A request carrying one is refused unless the policy's `allow_override_headers`
/// names it.
public enum OverrideHeader: String, Sendable, CaseIterable {
    case originalURL = "X-Original-URL"
    case rewriteURL = "X-Rewrite-URL"
    case httpMethodOverride = "X-HTTP-Method-Override"
    case httpMethod = "X-HTTP-Method"
    case methodOverride = "X-Method-Override"

    /// The override header `name` is (names compare case-insensitively), if any.
    public init?(named name: String) {
        // Every one starts `X-` and has 11 to 22 letters: most header names are passed at once.
        let utf8 = name.utf8
        guard (11...22).contains(utf8.count), utf8.first.map({ $0 | 0x20 }) == UInt8(ascii: "x") else { return nil }
        guard let found = Self.allCases.first(where: { $0.rawValue.equalsIgnoringCase(name) }) else { return nil }
        self = found
    }
}
