import Crypto

/// SHA-256 digests as cache keys: secrets (tokens, passwords) are never kept, only their digests.
enum Digest {
    /// Lowercase hex SHA-256 of `text`.
    static func sha256Hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(text.utf8)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
