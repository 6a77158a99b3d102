import Foundation

/// A verified (or simulated) caller.
public struct Identity: Sendable, Hashable {
    /// The username, from the provider's username claim, the API token, or the Basic user.
    public let username: String
    /// The token's `sub`, when there is one.
    public let subject: String?
    /// The provider that vouched for the caller; nil for API tokens and Basic.
    public let provider: String?
    /// How the caller authenticated.
    public let scheme: Scheme
    /// Group names.
    public let groups: [String]
    /// Scopes.
    public let scopes: [String]
    /// The API token's id, for API-token callers.
    public let apiToken: String?
    /// All claims, for claim requirements.
    public let claims: [String: JSONValue]

    /// Creates an identity.
    public init(
        username: String, subject: String? = nil, provider: String? = nil, scheme: Scheme, groups: [String] = [],
        scopes: [String] = [], apiToken: String? = nil, claims: [String: JSONValue] = [:]
    ) {
        self.username = username
        self.subject = subject
        self.provider = provider
        self.scheme = scheme
        self.groups = groups
        self.scopes = scopes
        self.apiToken = apiToken
        self.claims = claims
    }
}

extension Provider {
    /// Maps verified claims to an identity through this provider's claim mapping.
    public func identity(from claims: [String: JSONValue]) -> Result<Identity, Rejection> {
        guard case .string(let username)? = claims.lookup(self.claims.username), !username.isEmpty else {
            return .failure(
                Rejection(
                    code: .tokenNoUsername,
                    reason:
                        "the token from `\(id)` has no `\(self.claims.username)` string claim to use as the username"))
        }
        // A username goes into an upstream header: control characters (CR, LF, NUL…) never do.
        guard !Self.hasControlCharacters(username) else {
            return .failure(
                Rejection(
                    code: .tokenBadUsername, reason: "the `\(self.claims.username)` claim has control characters"))
        }
        return .success(
            Identity(
                username: username, subject: claims["sub"]?.scalarText, provider: id, scheme: .bearer,
                groups: Self.strings(claims.lookup(self.claims.groups), splitSpaces: false),
                scopes: scopes(in: claims), claims: claims))
    }

    /// C0 controls, DEL and C1 controls (U+0080–U+009F, UTF-8 `C2 80`–`C2 9F`), read from bytes.
    static func hasControlCharacters(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) { return true }
            previous = byte
        }
        return false
    }

    private func scopes(in claims: [String: JSONValue]) -> [String] {
        if let path = self.claims.scopes { return Self.strings(claims.lookup(path), splitSpaces: true) }
        if let scope = claims["scope"] { return Self.strings(scope, splitSpaces: true) }
        return Self.strings(claims["scp"], splitSpaces: true)
    }

    /// Strings from an array of strings, or one string (split on spaces for scopes).
    private static func strings(_ value: JSONValue?, splitSpaces: Bool) -> [String] {
        switch value {
        case .string(let text)?:
            return splitSpaces ? text.split(separator: " ").map(String.init) : [text]
        case .array(let items)?:
            return items.compactMap(\.stringValue)
        default:
            return []
        }
    }
}

extension APIToken {
    /// The identity of a caller presenting this token, or why it is refused at `now`.
    public func identity(at now: Date) -> Result<Identity, Rejection> {
        if let expires, now >= expires {
            return .failure(
                Rejection(code: .tokenExpired, reason: "API token `\(id)` expired at \(RFC3339.format(expires))"))
        }
        return .success(Identity(username: username, scheme: .apiToken, groups: groups, scopes: scopes, apiToken: id))
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    func lookup(_ path: ClaimPath) -> JSONValue? { path.lookup(in: self) }
}
