/// A way a caller can present credentials.
public enum Scheme: String, Sendable, CaseIterable, Codable {
    /// `Authorization: Bearer` with a token verified by an identity provider.
    case bearer
    /// `Authorization: Bearer` with one of the policy's static API tokens.
    case apiToken = "api_token"
    /// `Authorization: Basic` against the policy's Basic users.
    case basic
}

/// A set of schemes.
public struct SchemeSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The set holding one scheme.
    public init(_ scheme: Scheme) {
        switch scheme {
        case .bearer: self = .bearer
        case .apiToken: self = .apiToken
        case .basic: self = .basic
        }
    }

    public static let bearer = SchemeSet(rawValue: 1)
    public static let apiToken = SchemeSet(rawValue: 2)
    public static let basic = SchemeSet(rawValue: 4)

    /// Whether `scheme` is in the set.
    public func allows(_ scheme: Scheme) -> Bool { contains(SchemeSet(scheme)) }

    /// The schemes in the set, in declaration order.
    public var schemes: [Scheme] { Scheme.allCases.filter(allows) }
}
