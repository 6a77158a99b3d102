/// A request method a rule can name. Methods are case-sensitive, as in HTTP.
public enum HTTPMethod: String, Sendable, CaseIterable, Hashable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE"
    case patch = "PATCH", options = "OPTIONS", trace = "TRACE", connect = "CONNECT"
    case propfind = "PROPFIND", proppatch = "PROPPATCH", mkcol = "MKCOL", copy = "COPY"
    case move = "MOVE", lock = "LOCK", unlock = "UNLOCK", report = "REPORT", search = "SEARCH"
    case query = "QUERY"

    /// This method's bit in a ``MethodMask``.
    var bit: UInt32 { 1 << UInt32(Self.allCases.firstIndex(of: self)! + 1) }
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
        bits = HTTPMethod(rawValue: requestMethod)?.bit ?? 1
    }

    private init(bits: UInt32) { self.bits = bits }

    /// Whether every method in `other` is in this mask.
    public func covers(_ other: MethodMask) -> Bool { bits & other.bits == other.bits }

    /// Whether the two masks share a method.
    public func intersects(_ other: MethodMask) -> Bool { bits & other.bits != 0 }
}
