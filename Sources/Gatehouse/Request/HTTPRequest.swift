/// A request as the gateway saw it: method, raw target, host and headers.
public struct HTTPRequest: Sendable {
    /// The method, case-sensitive as in HTTP.
    public var method: String
    /// The raw request target: path and query, as sent.
    public var target: String
    /// The `Host`, if known.
    public var host: String?
    /// Header fields in order; names compare case-insensitively.
    public var headers: [(name: String, value: String)]

    /// Creates a request.
    public init(method: String, target: String, host: String? = nil, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.target = target
        self.host = host
        self.headers = headers
    }

    /// Every value of the header `name`.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) }.map(\.value)
    }

    /// Whether `method` is an RFC 9110 token.
    var hasValidMethod: Bool {
        !method.isEmpty && method.utf8.count <= 32
            && method.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }
    }
}

extension String {
    func caseInsensitiveCompare(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
