/// One rule of a policy: a request pattern and what happens to requests that match it.
public struct Rule: Sendable {
    /// The rule's unique id.
    public let id: String
    /// Where the rule is defined.
    public let location: SourceLocation
    /// The path pattern.
    public let path: PathPattern
    /// The methods it applies to; nil means any method.
    public let methods: [HTTPMethod]?
    /// What happens to a matching request.
    public let action: RuleAction
}

/// What a rule does with the requests it matches.
public enum RuleAction: Sendable {
    /// Allowed without credentials.
    case allowAnyone
    /// Denied outright with a reason.
    case deny(reason: String)
    /// A verified caller who meets every requirement is allowed.
    case require(Requirement)
}

/// What a caller must satisfy under a `require` rule. Empty lists mean no constraint.
public struct Requirement: Sendable {
    /// Allowed schemes; nil means the policy's `schemes`.
    public var schemes: SchemeSet?
    /// Any of these providers.
    public var providers: [String] = []
    /// Any of these groups.
    public var groups: [String] = []
    /// All of these scopes.
    public var scopes: [String] = []
    /// Each claim must equal its value.
    public var claims: [ClaimRequirement] = []
    /// The username must equal this, after path parameters are substituted.
    public var username: ValueTemplate?

    /// Any verified caller.
    public static let authenticated = Requirement()
}

/// A claim that must equal a value.
public struct ClaimRequirement: Sendable {
    /// The claim.
    public let path: ClaimPath
    /// The value it must have (after path parameters): a claim equal to it, or an array claim
    /// containing it.
    public let value: ValueTemplate
}

/// A value with `{name}` placeholders bound to path parameters: `require.username` and the values
/// of `require.claims`.
public struct ValueTemplate: Sendable, Hashable {
    /// A literal piece or a placeholder.
    public enum Piece: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    /// The template as written.
    public let text: String
    /// Its pieces.
    public let pieces: [Piece]

    /// The value for the given path parameters.
    public func expand(_ parameters: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .literal(let text): return text
            case .parameter(let name): return parameters[name] ?? ""
            }
        }.joined()
    }

    /// Parses `{name}` placeholders; nil for an unbalanced brace.
    public init?(_ text: String) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else { return nil }
            let name = rest[rest.index(after: open)..<close]
            guard PathPattern.isParameterName(name) else { return nil }
            if open > rest.startIndex { pieces.append(.literal(String(rest[..<open]))) }
            pieces.append(.parameter(String(name)))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        self.init(text: text, pieces: pieces)
    }

    init(text: String, pieces: [Piece]) {
        self.text = text
        self.pieces = pieces
    }

    /// The parameter names used.
    public var parameters: [String] {
        pieces.compactMap { if case .parameter(let name) = $0 { return name } else { return nil } }
    }
}
