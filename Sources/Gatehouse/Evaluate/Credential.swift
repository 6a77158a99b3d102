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

    /// The credential in an `Authorization` value, or the rejection for a malformed one.
    /// Returns nil for a scheme Gatehouse does not know, with its name.
    static func parse(_ header: String) -> ParsedAuthorization {
        // Refuse oversized values before looking inside them (a 1 MB header costs nothing more).
        guard header.utf8.count <= maxLength else {
            return .malformed(
                Rejection(code: "token.too-large", reason: "the Authorization header is larger than 16 KiB"))
        }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let scheme = trimmed.prefix { $0 != " " }
        let rest = trimmed.dropFirst(scheme.count).drop { $0 == " " }
        switch scheme.lowercased() {
        case "bearer":
            guard !rest.isEmpty, isToken68(rest) else {
                return .malformed(
                    Rejection(code: "token.malformed", reason: "the bearer token is missing or malformed"))
            }
            return .credential(.bearer(String(rest)))
        case "basic":
            guard let data = Data(base64Encoded: String(rest)), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else {
                return .malformed(
                    Rejection(
                        code: "credentials.malformed", reason: "the Basic credentials are not base64 of `user:password`"
                    ))
            }
            return .credential(
                .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...])))
        default:
            return .unsupported(String(scheme))
        }
    }

    /// The longest `Authorization` value read: a 16 KiB token and its scheme.
    static let maxLength = 16 * 1024 + 16

    /// RFC 7235 token68: `[A-Za-z0-9-._~+/]+=*`.
    private static func isToken68(_ text: Substring) -> Bool {
        let body = text.reversed().drop { $0 == "=" }
        return !body.isEmpty && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~+/".contains($0)) }
    }
}

/// What an `Authorization` header holds.
enum ParsedAuthorization {
    case credential(Credential)
    case malformed(Rejection)
    case unsupported(String)
}

/// Verifies credentials for the evaluator. Implementations do the I/O (JWKS, userinfo,
/// introspection, bcrypt); the engine never does.
public protocol CredentialVerifier: Sendable {
    /// Verifies `credential` under `policy` at `now`. `schemes` are those the matched rule accepts,
    /// so a verifier can skip work that could not lead to an allow.
    func verify(_ credential: Credential, policy: CompiledPolicy, schemes: SchemeSet, now: Date) async -> Verification
}

/// The outcome of verifying credentials.
public enum Verification: Sendable {
    /// The caller is who the credentials say.
    case verified(Identity)
    /// The credentials are refused (401).
    case rejected(Rejection)
    /// The provider could not be asked and nothing is cached (503, fail closed).
    case unavailable(provider: String, reason: String)
}

/// The verifier of dry runs: it verifies nothing, so a request that carries credentials is never
/// allowed by accident. Simulate the caller instead, or use a verifier that checks tokens.
public struct UnverifiedCredentials: CredentialVerifier {
    /// Creates the verifier.
    public init() {}

    public func verify(_ credential: Credential, policy: CompiledPolicy, schemes: SchemeSet, now: Date) async
        -> Verification
    {
        .rejected(
            Rejection(
                code: "credentials.unverified",
                reason:
                    "this dry run does not verify credentials: simulate the caller with `--provider ID --claims JSON` or `--api-token ID`"
            ))
    }
}
