/// Decoding of one path segment, shared by request targets and the literal parts of path patterns
/// so that both are compared in exactly the same form.
///
/// Every percent-escape is decoded once, except those a permissive backend could read as
/// structure: such targets are refused rather than guessed at (see `docs/policy.md`).
enum PathSegment {
    /// Decodes `raw` or says why it is refused.
    static func decode(_ raw: Substring) -> Result<String, TargetError> {
        if raw.utf8.allSatisfy(isPlain) {
            let isDots = raw.utf8.count <= 2 && raw.utf8.allSatisfy { $0 == UInt8(ascii: ".") }
            return isDots ? .failure(.dotSegment) : .success(String(raw))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var index = raw.utf8.startIndex
        let utf8 = raw.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex),
                    high != utf8.endIndex,
                    let low = utf8.index(high, offsetBy: 1, limitedBy: utf8.endIndex), low != utf8.endIndex,
                    let decoded = hexValue(utf8[high], utf8[low])
                else { return .failure(.badEscape) }
                switch decoded {
                case UInt8(ascii: "/"): return .failure(.encodedSlash)
                case UInt8(ascii: "\\"): return .failure(.encodedBackslash)
                case UInt8(ascii: "%"): return .failure(.doubleEncoding)
                case UInt8(ascii: ";"): return .failure(.semicolon)
                case 0..<0x20, 0x7F: return .failure(.controlCharacter)
                default: bytes.append(decoded)
                }
                index = utf8.index(after: low)
                continue
            case UInt8(ascii: "\\"): return .failure(.backslash)
            case UInt8(ascii: ";"): return .failure(.semicolon)
            case 0..<0x21, 0x7F: return .failure(.controlCharacter)
            default: bytes.append(byte)
            }
            index = utf8.index(after: index)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalidUTF8) }
        if text == "." || text == ".." { return .failure(.dotSegment) }
        return .success(text)
    }

    /// A byte that needs neither decoding nor a closer look: printable ASCII other than `%`, `\`
    /// and `;` (raw UTF-8 is valid already, since it comes from a String).
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte != 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\\")
            && byte != UInt8(ascii: ";")
    }

    /// The byte of two hex digits, or nil.
    static func hexValue(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = hexDigit(high), let l = hexDigit(low) else { return nil }
        return h << 4 | l
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
