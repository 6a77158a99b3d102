import Gatehouse

/// A JWS in compact serialization, split and decoded strictly, not yet verified.
package struct CompactJWS: Sendable {
    /// The largest token accepted, in bytes.
    static let maxBytes = 16 * 1024

    let header: [String: JSONValue]
    /// The payload's bytes; read as JSON only when needed (some JWS payloads are not JSON).
    let payloadBytes: [UInt8]
    /// `header.payload`, the bytes the signature covers.
    let signingInput: [UInt8]
    let signature: [UInt8]

    /// Splits and decodes `token`; every refusal is `token.too-large` or `token.malformed`.
    package static func parse(_ token: String) -> Result<CompactJWS, Rejection> {
        guard token.utf8.count <= maxBytes else {
            return .failure(Rejection(code: .tokenTooLarge, reason: "the token is larger than 16 KiB"))
        }
        // Split on the bytes: the separators are ASCII, and Character-based splitting of a long
        // token costs more than everything else here.
        let bytes = Array(token.utf8)
        var dots: [Int] = []
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: ".") {
            dots.append(offset)
            if dots.count > 4 { break }
        }
        guard dots.count == 2 else {
            let reason =
                dots.count == 4
                ? "encrypted tokens (JWE) are not accepted" : "the token is not a compact JWS (three parts)"
            return .failure(Rejection(code: .tokenMalformed, reason: reason))
        }
        guard let headerBytes = Base64URL.decode(bytes[..<dots[0]]),
            let payloadBytes = Base64URL.decode(bytes[(dots[0] + 1)..<dots[1]]),
            let signature = Base64URL.decode(bytes[(dots[1] + 1)...])
        else {
            return .failure(Rejection(code: .tokenMalformed, reason: "the token is not canonical base64url"))
        }
        do {
            let header = try StrictJSON.object(headerBytes)
            return .success(
                CompactJWS(
                    header: header, payloadBytes: payloadBytes, signingInput: Array(bytes[..<dots[1]]),
                    signature: signature))
        } catch {
            return .failure(
                Rejection(code: .tokenMalformed, reason: "the token header is not valid: \(error.reason)"))
        }
    }

    /// The decoded payload as a JSON object.
    package func payload() -> Result<[String: JSONValue], Rejection> {
        do {
            return .success(try StrictJSON.object(payloadBytes))
        } catch {
            return .failure(
                Rejection(code: .tokenMalformed, reason: "the token payload is not valid: \(error.reason)"))
        }
    }
}
