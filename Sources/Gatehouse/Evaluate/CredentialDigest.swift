/// The SHA-256 of a credential's secret, as four words: hashed and compared without an allocation.
/// The engine computes no digest itself (it has no cryptography); a verifier does, once.
public struct CredentialDigest: Sendable, Hashable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest whose 32 bytes are `bytes`, in order; nil for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        func word(_ index: Int) -> UInt64 {
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
        }
        words = (word(0), word(1), word(2), word(3))
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] {
        [words.0, words.1, words.2, words.3].flatMap { word in
            (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) }
        }
    }

    /// The first 12 hex digits: how decision logs name a credential, never the credential itself.
    public var fingerprint: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(12)
        for shift in stride(from: 60, through: 16, by: -4) { out.append(digits[Int(words.0 >> UInt64(shift) & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func == (lhs: CredentialDigest, rhs: CredentialDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
