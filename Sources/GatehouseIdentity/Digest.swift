import Crypto
import Foundation

/// SHA-256 digests as cache keys and log names: secrets (tokens, passwords) are never kept or
/// written, only their digests.
public enum Digest {
    /// The name of the bearer token in an `Authorization` value for logs: the first 12 hex digits
    /// of the SHA-256 of the token; nil without one. Any other scheme's value is not named: a
    /// digest of Basic's `user:password` could be guessed at hash speed.
    /// Read over bytes: it runs for every logged decision, on values of a kilobyte or more.
    public static func fingerprint(bearer authorization: String?) -> String? {
        guard let bytes = authorization?.utf8, let space = bytes.firstIndex(of: UInt8(ascii: " ")) else {
            return nil
        }
        guard bytes[..<space].map({ $0 | 0x20 }).elementsEqual("bearer".utf8) else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let rest = bytes[bytes.index(after: space)...]
        guard let first = rest.firstIndex(where: { !isBlank($0) }), let last = rest.lastIndex(where: { !isBlank($0) })
        else { return nil }
        return String(hex(SHA256.hash(data: Array(bytes[first...last]))).prefix(12))
    }

    /// Lowercase hex SHA-256 of `text`.
    public static func sha256Hex(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    private static func hex(_ digest: SHA256.Digest) -> String { hex(Array(digest)) }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
