/// A request as the gateway saw it: method, raw target, host and headers.
public struct APIRequest: Sendable {
    /// The method, case-sensitive as in HTTP.
    public var method: String
    /// The raw request target: path and query, as sent.
    public var target: String
    /// The `Host`, if known.
    public var host: String?
    /// Header fields in order; names compare case-insensitively.
    public var headers: [(name: String, value: String)]
    /// The client the gateway saw, when the gateway says (Envoy's gRPC door does).
    public var peer: Peer?

    /// The client a gateway saw: its address and the certificate it presented (URL-encoded PEM,
    /// as Envoy sends it).
    public struct Peer: Sendable, Equatable {
        public let address: String?
        public let certificate: String?

        public init(address: String?, certificate: String?) {
            self.address = address
            self.certificate = certificate
        }
    }

    /// Creates a request.
    public init(method: String, target: String, host: String? = nil, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.target = target
        self.host = host
        self.headers = headers
    }

    /// Every value of the header `name`.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.equalsIgnoringCase(name) }.map(\.value)
    }

    /// Whether `method` is an RFC 9110 token.
    var hasValidMethod: Bool {
        var method = method
        return method.withUTF8 { bytes in !bytes.isEmpty && bytes.count <= 32 && bytes.allSatisfy(Self.isTokenByte) }
    }

    /// Whether `method` has a lowercase ASCII letter (methods are case-sensitive).
    var hasLowercaseMethod: Bool {
        var method = method
        return method.withUTF8 { bytes in bytes.contains { (0x61...0x7A).contains($0) } }
    }

    /// Whether `byte` may appear in an RFC 9110 token: ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension String {
    /// Whether the two are equal but for the case of ASCII letters, as header field names compare
    /// (they are ASCII tokens). Compares bytes; allocates nothing.
    public func equalsIgnoringCase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var (left, right) = (self, other)
        return left.withUTF8 { left in
            right.withUTF8 { right in
                zip(left, right).allSatisfy { $0 == $1 || ($0 | 0x20 == $1 | 0x20 && ($0 | 0x20) &- 0x61 < 26) }
            }
        }
    }
}
