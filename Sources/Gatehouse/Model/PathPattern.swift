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
        // Over the text's bytes in place: `split`, `hasPrefix` and `contains` on a `Substring`
        // compare `Character`s or go through Foundation, and parsing patterns was most of the time
        // checking a large policy took.
        var contiguous = text
        return contiguous.withUTF8 { parse($0) }.map { PathPattern(text: text, segments: $0) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[Segment], PatternError> {
        guard bytes.first == UInt8(ascii: "/") else { return .failure(PatternError("a path pattern starts with `/`")) }
        if bytes.contains(UInt8(ascii: "?")) || bytes.contains(UInt8(ascii: "#")) {
            return .failure(PatternError("a path pattern matches the path only: remove the query or fragment"))
        }
        guard bytes.count > 1 else { return .success([]) }
        var segments: [Segment] = []
        var names: Set<String> = []
        var start = 1
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            switch classify(bytes[start..<end], after: segments.last, names: &names) {
            case .success(let segment): segments.append(segment)
            case .failure(let error): return .failure(error)
            }
            guard end < bytes.endIndex else { break }
            start = end + 1
        }
        return .success(segments)
    }

    /// One segment of a pattern, `raw` as written; `names` collects the parameters so far.
    private static func classify(
        _ raw: Slice<UnsafeBufferPointer<UInt8>>, after previous: Segment?, names: inout Set<String>
    ) -> Result<Segment, PatternError> {
        guard let first = raw.first, let last = raw.last else {
            return .failure(PatternError("a path pattern has no empty segments (`//` or a trailing `/`)"))
        }
        let text = { String(decoding: raw, as: UTF8.self) }
        if raw.count == 2 && first == UInt8(ascii: "*") && last == UInt8(ascii: "*") {
            return previous == .anyDepth ? .failure(PatternError("`**` twice in a row")) : .success(.anyDepth)
        }
        if raw.count == 1 && first == UInt8(ascii: "*") { return .success(.one) }
        if first == UInt8(ascii: "{") && last == UInt8(ascii: "}") {
            let name = String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
            guard isParameterName(Substring(name)) else {
                return .failure(PatternError("`\(text())` is not a valid parameter: use letters, digits and `_`"))
            }
            guard names.insert(name).inserted else {
                return .failure(PatternError("parameter `\(name)` appears twice"))
            }
            return .success(.parameter(name))
        }
        if raw.contains(UInt8(ascii: "*")) {
            return .failure(PatternError("`*` and `**` must be whole segments (found `\(text())`)"))
        }
        if raw.contains(UInt8(ascii: "{")) || raw.contains(UInt8(ascii: "}")) {
            return .failure(PatternError("a `{parameter}` must be a whole segment (found `\(text())`)"))
        }
        switch PathSegment.decode(UnsafeBufferPointer(rebasing: raw), rawNonASCII: true) {
        case .success(let literal): return .success(.literal(literal))
        case .failure(let error):
            return .failure(PatternError("segment `\(text())` would never match: \("it \(error.segmentProblem)")"))
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
