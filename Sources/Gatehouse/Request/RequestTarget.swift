/// A request target read strictly: origin-form only, decoded once into path segments.
public struct RequestTarget: Sendable, Hashable {
    /// The longest target accepted, in bytes.
    public static let maxLength = 8192

    /// The decoded path segments; empty for `/`. A single trailing slash is not a segment.
    public let segments: [String]
    /// The query, without `?`, as sent.
    public let query: String?

    /// The normalized path: `/` and the decoded segments joined by `/`.
    public var path: String { "/" + segments.joined(separator: "/") }

    /// Reads `raw` (path and query as sent), or says why it is refused.
    public static func parse(_ raw: String) -> Result<RequestTarget, TargetError> {
        let utf8 = raw.utf8
        guard let first = utf8.first else { return .failure(.empty) }
        guard utf8.count <= maxLength else { return .failure(.tooLong) }
        guard first == UInt8(ascii: "/") else {
            if raw == "*" { return .failure(.asteriskForm) }
            return .failure(raw.contains("://") ? .absoluteForm : .notOriginForm)
        }
        if utf8.contains(UInt8(ascii: "#")) { return .failure(.fragment) }
        let pathPart: Substring
        var query: String?
        if let mark = raw.firstIndex(of: "?") {
            pathPart = raw[..<mark]
            let rawQuery = raw[raw.index(after: mark)...]
            if let problem = checkQuery(rawQuery) { return .failure(problem) }
            query = String(rawQuery)
        } else {
            pathPart = Substring(raw)
        }
        var segments: [String] = []
        let pieces = pathPart.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (offset, piece) in pieces.enumerated() {
            if piece.isEmpty {
                if offset == pieces.count - 1 { break }
                return .failure(.emptySegment)
            }
            switch PathSegment.decode(piece) {
            case .success(let segment): segments.append(segment)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(RequestTarget(segments: segments, query: query))
    }

    /// Refuses controls, malformed escapes and encoded NUL in the query.
    private static func checkQuery(_ query: Substring) -> TargetError? {
        var bytes = query.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case 0..<0x21, 0x7F: return .controlCharacter
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
