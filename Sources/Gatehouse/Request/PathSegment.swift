import Foundation

/// Decoding of one path segment, shared by request targets and the literal parts of path patterns
/// so that both are compared in exactly the same form.
///
/// Every percent-escape is decoded once, except those a permissive backend could read as
/// structure: such targets are refused rather than guessed at (see `docs/policy.md`). What the
/// escapes decode to must be text a backend reads as it is: no C1 controls, Unicode separators or
/// invisible formatting characters, nothing that compatibility normalization (NFKC) turns into
/// ASCII (fullwidth `．／`, the one-dot leader, the Kelvin sign), and nothing out of NFC.
enum PathSegment {
    /// Decodes `raw` (one segment's bytes as sent) or says why it is refused. Request targets are
    /// ASCII (RFC 9112): raw bytes above 0x7F are refused there; a pattern (`rawNonASCII`) may
    /// write them as text.
    static func decode(_ raw: UnsafeBufferPointer<UInt8>, rawNonASCII: Bool = false) -> Result<String, TargetError> {
        if raw.allSatisfy(isPlain) {
            let isDots = raw.count <= 2 && raw.allSatisfy { $0 == UInt8(ascii: ".") }
            // Printable ASCII: the bytes are the text, with nothing to validate.
            return isDots ? .failure(.dotSegment) : .success(String(decoding: raw, as: UTF8.self))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "%"):
                guard index + 2 < raw.count, let decoded = hexValue(raw[index + 1], raw[index + 2]) else {
                    return .failure(.badEscape)
                }
                switch decoded {
                case UInt8(ascii: "/"): return .failure(.encodedSlash)
                case UInt8(ascii: "\\"): return .failure(.encodedBackslash)
                case UInt8(ascii: "%"): return .failure(.doubleEncoding)
                case UInt8(ascii: ";"): return .failure(.semicolon)
                case 0..<0x20, 0x7F: return .failure(.controlCharacter)
                default: bytes.append(decoded)
                }
                index += 3
                continue
            case UInt8(ascii: "\\"): return .failure(.backslash)
            case UInt8(ascii: ";"): return .failure(.semicolon)
            case 0..<0x21, 0x7F: return .failure(.controlCharacter)
            case 0x80... where !rawNonASCII: return .failure(.nonASCII)
            default: bytes.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalidUTF8) }
        if text == "." || text == ".." { return .failure(.dotSegment) }
        if let problem = unicodeProblem(text) { return .failure(problem) }
        return .success(text)
    }

    /// Why the non-ASCII text of a decoded segment is refused, if it is.
    static func unicodeProblem(_ text: String) -> TargetError? {
        guard !text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        for scalar in text.unicodeScalars where !scalar.isASCII {
            if (0x80...0x9F).contains(scalar.value) { return .controlCharacter }
            switch scalar.properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return .unicodeSeparator
            case .format: return .invisibleCharacter
            default: break
            }
            if String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars.contains(where: \.isASCII) {
                return .compatibilityForm
            }
        }
        guard text.precomposedStringWithCanonicalMapping.utf8.elementsEqual(text.utf8) else { return .notNFC }
        return nil
    }

    /// A byte that needs neither decoding nor a closer look: printable ASCII other than `%`, `\`
    /// and `;`.
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\\")
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
