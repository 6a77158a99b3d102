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

    private static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let sextets = self.sextets
        guard input.count % 4 != 1 else { return nil }
        let count = input.count * 6 / 8
        var valid = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            var buffer: UInt32 = 0
            var bits: UInt32 = 0
            var written = 0
            for character in input {
                let value = sextets[Int(character)]
                guard value < 64 else {
                    valid = false
                    break
                }
                buffer = buffer << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output[written] = UInt8(truncatingIfNeeded: buffer >> bits)
                    written += 1
                }
            }
            // Leftover bits must be zero, so that each byte string has exactly one encoding.
            if valid && buffer & ((1 << bits) - 1) != 0 { valid = false }
            initialized = written
        }
        return valid ? bytes : nil
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

    /// The unpadded base64url text of `bytes`.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                out.append(alphabet[Int(buffer >> UInt32(bits) & 63)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(6 - bits) & 63)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
