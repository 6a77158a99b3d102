import Foundation

/// Credentials read from a request's `Authorization` header. Descriptions never show the secret.
public enum Credential: Sendable, CustomStringConvertible {
    /// `Authorization: Bearer <token>`.
    case bearer(String)
    /// `Authorization: Basic`, decoded.
    case basic(username: String, password: String)

    public var description: String {
        switch self {
        case .bearer(let token): return "Bearer token (\(token.utf8.count) bytes)"
        case .basic(let username, _): return "Basic credentials for `\(username)`"
        }
    }

    /// The credential in an `Authorization` value, or the rejection for a malformed one, or
    /// ``ParsedAuthorization/unsupported(_:)`` for another scheme (named only when it is a known one).
    static func parse(_ header: String) -> ParsedAuthorization {
        // Refuse oversized values before looking inside them (a 1 MB header costs nothing more).
        guard header.utf8.count <= maxLength else {
            return .malformed(
                Rejection(code: .tokenTooLarge, reason: "the Authorization header is larger than 16 KiB"))
        }
        // Read over UTF-8 bytes: a token is a kilobyte or more, and Character-wise scanning cost
        // more than the rest of a cached decision.
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        let bytes = header.utf8
        let start = bytes.firstIndex { !isBlank($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !isBlank($0) }.map { bytes.index(after: $0) } ?? start
        let trimmed = header[start..<end]
        let scheme = trimmed[..<(trimmed.utf8.firstIndex(of: 0x20) ?? trimmed.endIndex)]
        let rest = trimmed[(trimmed.utf8[scheme.endIndex...].firstIndex { $0 != 0x20 } ?? trimmed.endIndex)...]
        // The value is never echoed: a malformed one may be a bare secret.
        guard scheme.utf8.allSatisfy({ APIRequest.isTokenByte($0) }) else {
            return .malformed(
                Rejection(
                    code: .credentialsMalformed,
                    reason: "the Authorization value is not a scheme and its credentials separated by a space"))
        }
        switch scheme.lowercased() {
        case "bearer":
            guard !rest.isEmpty, isToken68(rest) else {
                return .malformed(
                    Rejection(code: .tokenMalformed, reason: "the bearer token is missing or malformed"))
            }
            return .credential(.bearer(String(rest)))
        case "basic":
            guard let data = Data(base64Encoded: String(rest)), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else {
                return .malformed(
                    Rejection(
                        code: .credentialsMalformed, reason: "the Basic credentials are not base64 of `user:password`"
                    ))
            }
            return .credential(
                .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...])))
        default:
            return .unsupported(knownSchemes.first { $0.equalsIgnoringCase(String(scheme)) })
        }
    }

    /// The registered HTTP authentication schemes (IANA) and two common others: a scheme that is
    /// one of these is named in a refusal; anything else might be a secret sent bare.
    static let knownSchemes = [
        "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "OAuth", "PrivateToken",
        "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "NTLM", "AWS4-HMAC-SHA256",
    ]

    /// The longest `Authorization` value read: a 16 KiB token and its scheme.
    static let maxLength = 16 * 1024 + 16

    /// RFC 7235 token68: `[A-Za-z0-9-._~+/]+=*`.
    private static func isToken68(_ text: Substring) -> Bool {
        var body = text
        while body.utf8.last == UInt8(ascii: "=") { body = body.dropLast() }
        return !body.isEmpty
            && body.withUTF8 { bytes in
                token68Bytes.withUnsafeBufferPointer { allowed in
                    // An AND over the table, no branch per byte.
                    bytes.reduce(1) { $0 & allowed[Int($1)] } == 1
                }
            }
    }

    /// The bytes that may appear in a token68 before its padding: A-Z a-z 0-9 - . _ ~ + /.
    private static let token68Bytes: [UInt8] = {
        var allowed = [UInt8](repeating: 0, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/".utf8 {
            allowed[Int(byte)] = 1
        }
        return allowed
    }()
}

/// What an `Authorization` header holds.
enum ParsedAuthorization {
    case credential(Credential)
    case malformed(Rejection)
    case unsupported(String?)
}
