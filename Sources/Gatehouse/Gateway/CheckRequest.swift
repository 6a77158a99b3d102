/// What a gateway's check request carries that Gatehouse reads: its own method, target, authority
/// (its first `Host`) and its other header fields, in order.
public struct CheckRequest: Sendable {
    /// The check request's own method.
    public let method: String
    /// The check request's own target: the endpoint's path, and for Envoy the original path after it.
    public let target: String
    /// Its first `Host`.
    public let authority: String?
    /// Its other header fields, in order.
    public let headers: [(name: String, value: String)]

    /// Creates a check request.
    public init(method: String, target: String, authority: String?, headers: [(name: String, value: String)]) {
        self.method = method
        self.target = target
        self.authority = authority
        self.headers = headers
    }

    /// The value of the header `name` without the whitespace around it (RFC 9110 §5.5), however
    /// the check request was parsed; ``Count/twice`` when it is sent more than once.
    public func only(_ name: String) -> Count {
        var found: String?
        for header in headers where header.name.equalsIgnoringCase(name) {
            guard found == nil else { return .twice }
            found = header.value
        }
        return found.map { .once(Self.trimmed($0)) } ?? .none
    }

    /// How often a header is sent.
    public enum Count: Sendable, Equatable {
        case none
        case once(String)
        case twice
    }

    /// `value` without leading and trailing spaces and tabs.
    static func trimmed(_ value: String) -> String {
        let bytes = value.utf8
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) })
        else { return "" }
        guard first != bytes.startIndex || bytes.index(after: last) != bytes.endIndex else { return value }
        return String(value[first...last])
    }
}
