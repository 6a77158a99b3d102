/// A path pattern: literal segments, `*` (exactly one segment), `**` (zero or more segments) and
/// `{name}` (one segment, captured). Literal segments are decoded like request paths.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    /// One segment of a pattern.
    public enum Segment: Sendable, Hashable {
        /// A segment that must equal this decoded text.
        case literal(String)
        /// `*`: any one segment.
        case one
        /// `{name}`: any one segment, captured under `name`.
        case parameter(String)
        /// `**`: zero or more segments.
        case anyDepth
    }

    /// The pattern as written.
    public let text: String
    /// Its segments; empty for `/`.
    public let segments: [Segment]

    public var description: String { text }

    /// The names of its parameters, in order.
    public var parameters: [String] {
        segments.compactMap { if case .parameter(let name) = $0 { return name } else { return nil } }
    }

    /// Parses `text`, or returns a one-line reason why it is not a valid pattern.
    public static func parse(_ text: String) -> Result<PathPattern, PatternError> {
        guard text.hasPrefix("/") else { return .failure(PatternError("a path pattern starts with `/`")) }
        // Bytes, not `contains("?")`: that one is Foundation's substring search, a fifth of checking
        // a 10,000-rule policy.
        if text.utf8.contains(UInt8(ascii: "?")) || text.utf8.contains(UInt8(ascii: "#")) {
            return .failure(PatternError("a path pattern matches the path only: remove the query or fragment"))
        }
        guard text != "/" else { return .success(PathPattern(text: text, segments: [])) }
        var segments: [Segment] = []
        var names: Set<String> = []
        // Segments split and classified over bytes: `split` and `hasPrefix` on a `Substring` compare
        // `Character`s, most of the time checking a large policy took.
        let bytes = text.utf8
        var start = bytes.index(after: bytes.startIndex)
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            let raw = Substring(bytes[start..<end])
            switch classify(raw, after: segments.last, names: &names) {
            case .success(let segment): segments.append(segment)
            case .failure(let error): return .failure(error)
            }
            guard end < bytes.endIndex else { break }
            start = bytes.index(after: end)
        }
        return .success(PathPattern(text: text, segments: segments))
    }

    /// One segment of a pattern, `raw` as written; `names` collects the parameters so far.
    private static func classify(
        _ raw: Substring, after previous: Segment?, names: inout Set<String>
    ) -> Result<Segment, PatternError> {
        let bytes = raw.utf8
        guard let first = bytes.first, let last = bytes.last else {
            return .failure(PatternError("a path pattern has no empty segments (`//` or a trailing `/`)"))
        }
        if bytes.elementsEqual("**".utf8) {
            return previous == .anyDepth ? .failure(PatternError("`**` twice in a row")) : .success(.anyDepth)
        }
        if bytes.elementsEqual("*".utf8) { return .success(.one) }
        if first == UInt8(ascii: "{") && last == UInt8(ascii: "}") {
            let name = raw.dropFirst().dropLast()
            guard isParameterName(name) else {
                return .failure(PatternError("`\(raw)` is not a valid parameter: use letters, digits and `_`"))
            }
            guard names.insert(String(name)).inserted else {
                return .failure(PatternError("parameter `\(name)` appears twice"))
            }
            return .success(.parameter(String(name)))
        }
        if bytes.contains(UInt8(ascii: "*")) {
            return .failure(PatternError("`*` and `**` must be whole segments (found `\(raw)`)"))
        }
        if bytes.contains(UInt8(ascii: "{")) || bytes.contains(UInt8(ascii: "}")) {
            return .failure(PatternError("a `{parameter}` must be a whole segment (found `\(raw)`)"))
        }
        switch PathSegment.decode(raw, rawNonASCII: true) {
        case .success(let literal): return .success(.literal(literal))
        case .failure(let error):
            return .failure(PatternError("segment `\(raw)` would never match: \("it \(error.segmentProblem)")"))
        }
    }

    /// Whether `name` is a valid parameter name: a letter or `_`, then letters, digits, `_`.
    static func isParameterName(_ name: Substring) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
        }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }
}

/// Why a path pattern is invalid.
public struct PatternError: Error, Sendable {
    /// One-line reason.
    public let reason: String
    init(_ reason: String) { self.reason = reason }
}
