/// A request method a rule can name. Methods are case-sensitive, as in HTTP.
public enum HTTPMethod: String, Sendable, CaseIterable, Hashable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE"
    case patch = "PATCH", options = "OPTIONS", trace = "TRACE", connect = "CONNECT"
    case propfind = "PROPFIND", proppatch = "PROPPATCH", mkcol = "MKCOL", copy = "COPY"
    case move = "MOVE", lock = "LOCK", unlock = "UNLOCK", report = "REPORT", search = "SEARCH"
    case query = "QUERY"

    /// This method's bit in a ``MethodMask``: its position in `allCases`, plus one.
    var bit: UInt32 {
        switch self {
        case .get: 1 << 1
        case .head: 1 << 2
        case .post: 1 << 3
        case .put: 1 << 4
        case .delete: 1 << 5
        case .patch: 1 << 6
        default: Self.bits[rawValue]!
        }
    }

    /// Method names to bits, built once: bit 0 is left for methods no policy can name.
    static let bits: [String: UInt32] = Dictionary(
        uniqueKeysWithValues: allCases.enumerated().map { ($1.rawValue, UInt32(1) << UInt32($0 + 1)) })
}

/// A set of methods as bits; bit 0 stands for any method a policy cannot name.
public struct MethodMask: Sendable, Hashable {
    /// The bits.
    public let bits: UInt32

    /// Every method, named or not.
    public static let any = MethodMask(bits: .max)

    /// The mask of `methods`, or ``any`` for nil.
    public init(_ methods: [HTTPMethod]?) {
        bits = methods.map { $0.reduce(0) { $0 | $1.bit } } ?? .max
    }

    /// The mask of one request method; a method no policy can name gets bit 0.
    public init(requestMethod: String) {
        // A switch on the common methods avoids hashing on every request.
        switch requestMethod {
        case "GET": bits = HTTPMethod.get.bit
        case "POST": bits = HTTPMethod.post.bit
        case "PUT": bits = HTTPMethod.put.bit
        case "DELETE": bits = HTTPMethod.delete.bit
        case "HEAD": bits = HTTPMethod.head.bit
        case "PATCH": bits = HTTPMethod.patch.bit
        default: bits = HTTPMethod.bits[requestMethod] ?? 1
        }
    }

    private init(bits: UInt32) { self.bits = bits }

    /// Whether every method in `other` is in this mask.
    public func covers(_ other: MethodMask) -> Bool { bits & other.bits == other.bits }

    /// Whether the two masks share a method.
    public func intersects(_ other: MethodMask) -> Bool { bits & other.bits != 0 }
}
