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

    /// The first value of the header `name`.
    public func first(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringCase(name) }?.value
    }
}
