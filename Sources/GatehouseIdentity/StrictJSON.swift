import Gatehouse

/// A JSON reader for untrusted token parts and provider answers: RFC 8259 only, UTF-8 only,
/// duplicate object keys refused (a token whose `alg` or `sub` appears twice means different
/// things to different readers), nesting bounded.
struct StrictJSON {
    /// Why a document was refused.
    struct Failure: Error, Equatable {
        let reason: String
    }

    static let maxDepth = 32

    /// The document's bytes, read in place for the length of one parse. Every read below is
    /// behind an explicit `index < bytes.count` (or `+ n <=`) test; the debug builds that the
    /// fuzzer runs check each subscript again.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses one JSON value that must be an object.
    static func object(_ bytes: [UInt8]) throws(Failure) -> [String: JSONValue] {
        let read = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(Failure) in
                var reader = StrictJSON(buffer)
                return try reader.document()
            }
        }
        return try read.get()
    }

    private mutating func document() throws(Failure) -> [String: JSONValue] {
        skipSpace()
        guard case .object(let object) = try value(depth: 0) else {
            throw Failure(reason: "not a JSON object")
        }
        skipSpace()
        guard index == bytes.count else { throw Failure(reason: "text after the JSON value") }
        return object
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maxDepth else { throw Failure(reason: "nested deeper than \(Self.maxDepth) levels") }
        guard index < bytes.count else { throw Failure(reason: "unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var object: [String: JSONValue] = [:]
        object.reserveCapacity(16)
        skipSpace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(object) }
        while true {
            skipSpace()
            guard peek(UInt8(ascii: "\"")) else { throw Failure(reason: "an object key must be a string") }
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            let value = try value(depth: depth + 1)
            guard object.updateValue(value, forKey: key) == nil else {
                throw Failure(reason: "duplicate key `\(Self.printable(key))`")
            }
            skipSpace()
            if peek(UInt8(ascii: "}")) { index += 1; return .object(object) }
            try expect(UInt8(ascii: ","))
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        items.reserveCapacity(8)
        skipSpace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
            try expect(UInt8(ascii: ","))
        }
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        // Fast path: no escape before the closing quote, so the text is a slice of the input.
        let start = index
        var seen = skipPlainWords()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<index]), ascii: seen < 0x80)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw Failure(reason: "a control character in a string") }
            seen |= byte
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try out.withUnsafeBufferPointer { buffer throws(Failure) in
                    try Self.text(buffer, ascii: false)
                }
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw Failure(reason: "a control character in a string")
            default:
                out.append(byte)
            }
        }
        throw Failure(reason: "unterminated string")
    }

    /// Skips whole 8-byte words of a string that hold no quote, backslash or control character,
    /// returning the OR of their bytes folded into one (its top bit says whether any was not ASCII).
    /// A long claim is read a word at a time; the byte loop after it finds where the string ends.
    private mutating func skipPlainWords() -> UInt8 {
        guard let base = bytes.baseAddress else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// Whether any byte of `word` is zero: `(w - 0x01…) & ~w & 0x80…` is non-zero exactly
        /// when one is (a zero byte borrows and sets its top bit; `~w` clears the top bit of every
        /// byte that had it set already, and borrows above the lowest zero byte do not matter).
        func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        var seen: UInt64 = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // A quote or a backslash is a zero after XOR with it; a control (below 0x20) is a
            // zero after keeping only the top three bits.
            if hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C)) || hasZero(word & (ones &* 0xE0)) {
                break
            }
            seen |= word
            index += 8
        }
        seen |= seen >> 32
        seen |= seen >> 16
        seen |= seen >> 8
        return UInt8(truncatingIfNeeded: seen)
    }

    /// The string of `bytes`, refused unless it is valid UTF-8. ASCII (most of a token) is read
    /// without validation; `String(validating:)` on a slice looks up generic metadata on each call,
    /// which cost more than the rest of reading a token's payload.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) throws(Failure) -> String {
        guard let text = ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        else { throw Failure(reason: "invalid UTF-8") }
        return text
    }

    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw Failure(reason: "unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard peek(UInt8(ascii: "\\")), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw Failure(reason: "a lone surrogate escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Failure(reason: "a lone surrogate escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw Failure(reason: "a lone surrogate escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Failure(reason: "an invalid escape") }
            out += Array(String(Character(unicode)).utf8)
        default:
            throw Failure(reason: "an invalid escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure(reason: "a short \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw Failure(reason: "an invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    private mutating func number() throws(Failure) -> Double {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "an invalid value") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if !peek(UInt8(ascii: ".")) && !peek(UInt8(ascii: "e")) && !peek(UInt8(ascii: "E")) && index - start <= 16 {
            // An integer of at most 15 digits (NumericDates are): exact in a Double, read directly.
            var value: Int64 = 0
            for byte in bytes[start..<index] where byte != UInt8(ascii: "-") { value = value * 10 + Int64(byte - 48) }
            return Double(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "an invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "an invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
            throw Failure(reason: "a number out of range")
        }
        return value
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let count = word.utf8.count
        guard index + count <= bytes.count, bytes[index..<index + count].elementsEqual(word.utf8) else {
            throw Failure(reason: "an invalid value")
        }
        index += count
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek(byte) else { throw Failure(reason: "expected `\(Character(Unicode.Scalar(byte)))`") }
        index += 1
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// A key as it may appear in a message: at most 40 printable ASCII characters.
    static func printable(_ text: String) -> String {
        String(
            text.unicodeScalars.prefix(40).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
            })
    }
}
