import Gatehouse

/// A JWS in compact serialization, split and decoded strictly, not yet verified.
struct CompactJWS: Sendable {
    /// The largest token accepted, in bytes.
    static let maxBytes = 16 * 1024

    let header: [String: JSONValue]
    /// The payload's bytes; read as JSON only when needed (some JWS payloads are not JSON).
    let payloadBytes: [UInt8]
    /// `header.payload`, the bytes the signature covers.
    let signingInput: Substring
    let signature: [UInt8]

    /// Splits and decodes `token`; every refusal is `token.too-large` or `token.malformed`.
    static func parse(_ token: String) -> Result<CompactJWS, Rejection> {
        guard token.utf8.count <= maxBytes else {
            return .failure(Rejection(code: "token.too-large", reason: "the token is larger than 16 KiB"))
        }
        // Split on the bytes: the separators are ASCII, and Character-based splitting of a long
        // token costs more than everything else here.
        var parts: [Substring] = []
        var start = token.utf8.startIndex
        for index in token.utf8.indices where token.utf8[index] == UInt8(ascii: ".") {
            parts.append(Substring(token.utf8[start..<index]))
            start = token.utf8.index(after: index)
            if parts.count > 5 { break }
        }
        parts.append(Substring(token.utf8[start...]))
        guard parts.count == 3 else {
            let reason =
                parts.count == 5
                ? "encrypted tokens (JWE) are not accepted" : "the token is not a compact JWS (three parts)"
            return .failure(Rejection(code: "token.malformed", reason: reason))
        }
        guard let headerBytes = Base64URL.decode(parts[0]), let signature = Base64URL.decode(parts[2]),
            let payloadBytes = Base64URL.decode(parts[1])
        else {
            return .failure(Rejection(code: "token.malformed", reason: "the token is not canonical base64url"))
        }
        do {
            let header = try StrictJSON.object(headerBytes)
            let input = token[parts[0].startIndex..<parts[1].endIndex]
            return .success(
                CompactJWS(header: header, payloadBytes: payloadBytes, signingInput: input, signature: signature))
        } catch {
            return .failure(
                Rejection(code: "token.malformed", reason: "the token header is not valid: \(error.reason)"))
        }
    }

    /// The decoded payload as a JSON object.
    func payload() -> Result<[String: JSONValue], Rejection> {
        do {
            return .success(try StrictJSON.object(payloadBytes))
        } catch {
            return .failure(
                Rejection(code: "token.malformed", reason: "the token payload is not valid: \(error.reason)"))
        }
    }
}
