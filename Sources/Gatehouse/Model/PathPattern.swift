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
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let segment: Segment
            switch raw {
            case "": return .failure(PatternError("a path pattern has no empty segments (`//` or a trailing `/`)"))
            case "**":
                if segments.last == .anyDepth { return .failure(PatternError("`**` twice in a row")) }
                segment = .anyDepth
            case "*": segment = .one
            case _ where raw.hasPrefix("{") && raw.hasSuffix("}"):
                let name = raw.dropFirst().dropLast()
                guard isParameterName(name) else {
                    return .failure(PatternError("`\(raw)` is not a valid parameter: use letters, digits and `_`"))
                }
                guard names.insert(String(name)).inserted else {
                    return .failure(PatternError("parameter `\(name)` appears twice"))
                }
                segment = .parameter(String(name))
            case _ where raw.utf8.contains(UInt8(ascii: "*")):
                return .failure(PatternError("`*` and `**` must be whole segments (found `\(raw)`)"))
            case _ where raw.utf8.contains(UInt8(ascii: "{")) || raw.utf8.contains(UInt8(ascii: "}")):
                return .failure(PatternError("a `{parameter}` must be a whole segment (found `\(raw)`)"))
            default:
                switch PathSegment.decode(raw, rawNonASCII: true) {
                case .success(let literal): segment = .literal(literal)
                case .failure(let error):
                    return .failure(PatternError("segment `\(raw)` would never match: \("it \(error.segmentProblem)")"))
                }
            }
            segments.append(segment)
        }
        return .success(PathPattern(text: text, segments: segments))
    }

    /// Whether `name` is a valid parameter name: a letter or `_`, then letters, digits, `_`.
    static func isParameterName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}

/// Why a path pattern is invalid.
public struct PatternError: Error, Sendable {
    /// One-line reason.
    public let reason: String
    init(_ reason: String) { self.reason = reason }
}
