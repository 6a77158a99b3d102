import Gatehouse

/// A JWS in compact serialization, split and decoded strictly, not yet verified.
struct CompactJWS: Sendable {
    /// The largest token accepted, in bytes.
    static let maxBytes = 16 * 1024

    let header: [String: JSONValue]
    /// The payload part as sent (base64url), decoded only after the signature is checked.
    let encodedPayload: Substring
    /// `header.payload`, the bytes the signature covers.
    let signingInput: Substring
    let signature: [UInt8]

    /// Splits and decodes `token`; every refusal is `token.too-large` or `token.malformed`.
    static func parse(_ token: String) -> Result<CompactJWS, Rejection> {
        guard token.utf8.count <= maxBytes else {
            return .failure(Rejection(code: "token.too-large", reason: "the token is larger than 16 KiB"))
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            let reason =
                parts.count == 5
                ? "encrypted tokens (JWE) are not accepted" : "the token is not a compact JWS (three parts)"
            return .failure(Rejection(code: "token.malformed", reason: reason))
        }
        guard let headerBytes = Base64URL.decode(parts[0]), let signature = Base64URL.decode(parts[2]),
            Base64URL.decode(parts[1]) != nil
        else {
            return .failure(Rejection(code: "token.malformed", reason: "the token is not canonical base64url"))
        }
        do {
            let header = try StrictJSON.object(headerBytes)
            let input = token[parts[0].startIndex..<parts[1].endIndex]
            return .success(
                CompactJWS(header: header, encodedPayload: parts[1], signingInput: input, signature: signature))
        } catch {
            return .failure(
                Rejection(code: "token.malformed", reason: "the token header is not valid: \(error.reason)"))
        }
    }

    /// The decoded payload as a JSON object.
    func payload() -> Result<[String: JSONValue], Rejection> {
        do {
            return .success(try StrictJSON.object(Base64URL.decode(encodedPayload) ?? []))
        } catch {
            return .failure(
                Rejection(code: "token.malformed", reason: "the token payload is not valid: \(error.reason)"))
        }
    }
}
