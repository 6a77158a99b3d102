import Foundation
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
        var token = token
        return token.withUTF8(parse(bytes:))
    }

    /// The same, on the token's bytes where they are. The separators are ASCII, so the token is
    /// split on bytes (Character-based splitting of a long token cost more than everything else
    /// here), found with `memchr` (a byte loop over the token cost a quarter of the split).
    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Result<CompactJWS, Rejection> {
        guard bytes.count <= maxBytes else {
            return .failure(Rejection(code: .tokenTooLarge, reason: "the token is larger than 16 KiB"))
        }
        // The first two dots, and how many there are (counting stops at five).
        var dots = (first: 0, second: 0, count: 0)
        var from = 0
        while dots.count < 5, from < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + from, Int32(UInt8(ascii: ".")), bytes.count - from)
        {
            let offset = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            if dots.count == 0 { dots.first = offset } else if dots.count == 1 { dots.second = offset }
            dots.count += 1
            from = offset + 1
        }
        guard dots.count == 2 else {
            let reason =
                dots.count == 4
                ? "encrypted tokens (JWE) are not accepted" : "the token is not a compact JWS (three parts)"
            return .failure(Rejection(code: .tokenMalformed, reason: reason))
        }
        guard let headerBytes = Base64URL.decode(UnsafeBufferPointer(rebasing: bytes[..<dots.first])),
            let payloadBytes = Base64URL.decode(UnsafeBufferPointer(rebasing: bytes[(dots.first + 1)..<dots.second])),
            let signature = Base64URL.decode(UnsafeBufferPointer(rebasing: bytes[(dots.second + 1)...]))
        else {
            return .failure(Rejection(code: .tokenMalformed, reason: "the token is not canonical base64url"))
        }
        do {
            let header = try StrictJSON.object(headerBytes)
            return .success(
                CompactJWS(
                    header: header, payloadBytes: payloadBytes, signingInput: Array(bytes[..<dots.second]),
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
