import Crypto
import Foundation

/// SHA-256 digests as cache keys and log names: secrets (tokens, passwords) are never kept or
/// written, only their digests.
public enum Digest {
    /// The name of the credential in an `Authorization` value for logs: the first 12 hex digits of
    /// the SHA-256 of its token (or of the Basic value); nil without one.
    public static func fingerprint(authorization: String?) -> String? {
        guard let authorization, let space = authorization.firstIndex(of: " ") else { return nil }
        let credential = authorization[space...].trimmingCharacters(in: .whitespaces)
        return credential.isEmpty ? nil : String(sha256Hex(credential).prefix(12))
    }

    /// Lowercase hex SHA-256 of `text`.
    public static func sha256Hex(_ text: String) -> String {
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
