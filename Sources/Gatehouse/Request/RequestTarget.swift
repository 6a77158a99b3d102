/// A request target read strictly: origin-form only, decoded once into path segments.
public struct RequestTarget: Sendable, Hashable {
    /// The longest target accepted, in bytes.
    public static let maxLength = 8192

    /// The decoded path segments; empty for `/`. A single trailing slash is not a segment.
    public let segments: [String]
    /// The query, without `?`, as sent.
    public let query: String?
    /// The normalized path: `/` and the decoded segments joined by `/`.
    public let path: String

    /// Whether the query has an `access_token` parameter (RFC 6750 §2.3), in any spelling a
    /// backend might accept: percent-encoded, in any case of its letters. Reads the query's bytes
    /// in place, comparing each parameter's decoded name as it goes.
    public var hasAccessToken: Bool {
        guard var query else { return false }
        return query.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                let name = bytes[start..<end].prefix { $0 != UInt8(ascii: "=") }
                if Self.isAccessToken(name) { return true }
                start = end + 1
            }
            return false
        }
    }

    private static let accessToken = Array("access_token".utf8)

    /// Whether `name`, its percent-escapes decoded (a `%` not followed by two hex digits stands for
    /// itself) and its ASCII letters folded, is `access_token`.
    private static func isAccessToken(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var matched = 0
        var index = name.startIndex
        while index < name.endIndex {
            var byte = name[index]
            index += 1
            if byte == UInt8(ascii: "%"), index + 1 < name.endIndex,
                let value = PathSegment.hexValue(name[index], name[index + 1])
            {
                byte = value
                index += 2
            }
            guard matched < accessToken.count, CompiledPolicy.foldASCII(byte) == accessToken[matched] else {
                return false
            }
            matched += 1
        }
        return matched == accessToken.count
    }

    init(segments: [String], query: String?, path: String? = nil) {
        self.segments = segments
        self.query = query
        self.path = path ?? "/" + segments.joined(separator: "/")
    }

    /// Reads `raw` (path and query as sent), or says why it is refused. Works on the UTF-8 bytes
    /// in place, in one pass; the structural bytes (`/`, `?`, `#`) are ASCII, so every split is valid.
    public static func parse(_ raw: String) -> Result<RequestTarget, TargetError> {
        guard let first = raw.utf8.first else { return .failure(.empty) }
        guard raw.utf8.count <= maxLength else { return .failure(.tooLong) }
        guard first == UInt8(ascii: "/") else {
            if raw == "*" { return .failure(.asteriskForm) }
            return .failure(raw.contains("://") ? .absoluteForm : .notOriginForm)
        }
        var text = raw
        return text.withUTF8 { parse(raw, bytes: $0) }
    }

    /// The same, over `raw`'s bytes, which start with `/`.
    private static func parse(_ raw: String, bytes: UnsafeBufferPointer<UInt8>) -> Result<RequestTarget, TargetError> {
        var segments: [String] = []
        segments.reserveCapacity(8)
        var start = 1
        var index = 1
        var verbatim = true
        while true {
            let atEnd = index == bytes.count
            let byte = atEnd ? 0 : bytes[index]
            if byte == UInt8(ascii: "#") { return .failure(.fragment) }
            if atEnd || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") {
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<index])
                let last = atEnd || byte == UInt8(ascii: "?")
                if piece.isEmpty {
                    // Only a single trailing slash may be empty: `/a/` reads as `/a`, `/` as the root.
                    guard last && (segments.count > 0 || start == 1) else { return .failure(.emptySegment) }
                } else {
                    switch PathSegment.decode(piece) {
                    case .success(let segment):
                        verbatim = verbatim && segment.utf8.count == piece.count
                        segments.append(segment)
                    case .failure(let error): return .failure(error)
                    }
                }
                if last {
                    // Undecoded and without a trailing slash, the path is the raw text itself
                    // (printable ASCII, as every segment was plain).
                    var path: String?
                    if verbatim && !piece.isEmpty {
                        let text = UnsafeBufferPointer(rebasing: bytes[..<index])
                        path = atEnd ? raw : String(decoding: text, as: UTF8.self)
                    }
                    var query: String?
                    if !atEnd {
                        let rawQuery = UnsafeBufferPointer(rebasing: bytes[(index + 1)...])
                        if let problem = checkQuery(rawQuery) { return .failure(problem) }
                        // Checked to be ASCII: the bytes are the text.
                        query = String(decoding: rawQuery, as: UTF8.self)
                    }
                    return .success(RequestTarget(segments: segments, query: query, path: path))
                }
                start = index + 1
            }
            index += 1
        }
    }

    /// Refuses controls, raw non-ASCII bytes, malformed escapes and encoded NUL in the query.
    private static func checkQuery(_ query: UnsafeBufferPointer<UInt8>) -> TargetError? {
        var bytes = query.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "#"): return .fragment
            case 0..<0x21, 0x7F: return .controlCharacter
            case 0x80...: return .nonASCII
            case UInt8(ascii: "%"):
                guard let high = bytes.next(), let low = bytes.next(),
                    let value = PathSegment.hexValue(high, low)
                else { return .badEscape }
                if value < 0x20 || value == 0x7F { return .controlCharacter }
            default: continue
            }
        }
        return nil
    }
}
