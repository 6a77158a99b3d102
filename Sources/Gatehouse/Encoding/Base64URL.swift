/// Strict base64url (RFC 4648 §5) without padding, as JWS requires: any other character, padding,
/// or unused low bits that are not zero make the text non-canonical and it is refused.
package enum Base64URL {
    /// The bytes of `text`, or nil when it is not canonical unpadded base64url.
    package static func decode(_ text: Substring) -> [UInt8]? {
        let utf8 = text.utf8
        if let decoded = utf8.withContiguousStorageIfAvailable({ decode($0) }) { return decoded }
        return Array(utf8).withUnsafeBufferPointer { decode($0) }
    }

    /// The same, for bytes.
    package static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        input.withUnsafeBufferPointer { decode($0) }
    }

    /// Four characters to three bytes at a time through the table. Any character outside the
    /// alphabet has the table's 255, so the OR of every value read stays under 64 only when all
    /// of them are in the alphabet; one check at the end instead of one per character.
    package static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let left = input.count % 4
        guard left != 1 else { return nil }
        let count = input.count / 4 * 3 + (left == 0 ? 0 : left - 1)
        return sextets.withUnsafeBufferPointer { table in
            var seen: UInt32 = 0
            var canonical = true
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
                func value(_ offset: Int) -> UInt32 {
                    let sextet = UInt32(table[Int(input[offset])])
                    seen |= sextet
                    return sextet
                }
                var read = 0
                var written = 0
                while read + 4 <= input.count {
                    let group = value(read) << 18 | value(read + 1) << 12 | value(read + 2) << 6 | value(read + 3)
                    output[written] = UInt8(truncatingIfNeeded: group >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: group)
                    read += 4
                    written += 3
                }
                if left > 0 {
                    // Two characters carry one byte and four unused bits, three carry two bytes and
                    // two unused bits; the unused bits must be zero, so that each byte string has
                    // exactly one encoding.
                    let third = left == 3 ? value(read + 2) : 0
                    let group = value(read) << 18 | value(read + 1) << 12 | third << 6
                    output[written] = UInt8(truncatingIfNeeded: group >> 16)
                    if left == 3 { output[written + 1] = UInt8(truncatingIfNeeded: group >> 8) }
                    canonical = group & (left == 3 ? 0xFF : 0xFFFF) == 0
                }
                initialized = count
            }
            return seen < 64 && canonical ? bytes : nil
        }
    }

    /// Each byte's base64url value, or 255 for bytes outside the alphabet.
    private static let sextets: [UInt8] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt8(byte) - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt8(byte) - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt8(byte) - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return 255
        }
    }

    /// The unpadded base64url text of `bytes`, three bytes to four characters at a time, written
    /// straight into the string (the signed assertion encodes on the request path).
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable(encode(buffer:)) { return encoded }
        return Array(bytes).withUnsafeBufferPointer(encode(buffer:))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static func encode(buffer input: UnsafeBufferPointer<UInt8>) -> String {
        let left = input.count % 3
        let count = input.count / 3 * 4 + (left == 0 ? 0 : left + 1)
        return alphabet.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: count) { out in
                var read = 0, written = 0
                while read + 3 <= input.count {
                    let group = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
                    out[written] = alphabet[Int(group >> 18)]
                    out[written + 1] = alphabet[Int(group >> 12 & 63)]
                    out[written + 2] = alphabet[Int(group >> 6 & 63)]
                    out[written + 3] = alphabet[Int(group & 63)]
                    read += 3
                    written += 4
                }
                if left > 0 {
                    let group = UInt32(input[read]) << 16 | (left == 2 ? UInt32(input[read + 1]) << 8 : 0)
                    out[written] = alphabet[Int(group >> 18)]
                    out[written + 1] = alphabet[Int(group >> 12 & 63)]
                    if left == 2 { out[written + 2] = alphabet[Int(group >> 6 & 63)] }
                }
                return count
            }
        }
    }
}
