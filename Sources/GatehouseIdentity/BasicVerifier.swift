import CCrypt
import Crypto
import Foundation
import Gatehouse

/// Checks Basic credentials against the policy's bcrypt hashes with libxcrypt's `crypt_r`.
/// Unknown users cost the same bcrypt work as known ones, and results are compared in constant
/// time. A correct password is remembered for a minute (by SHA-256 of the pair), so a client that
/// sends the same credentials on every request does not pay bcrypt's cost every time.
struct BasicVerifier: Sendable {
    /// Hashed with the cost of a typical policy hash, for users that do not exist.
    static let decoy = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
    static let rememberFor: TimeInterval = 60

    let remembered = AnswerCache<Bool>(capacity: 1_000)

    func verify(username: String, password: String, users: [BasicUser], now: Date) async -> Verification {
        let user = users.first { $0.username == username }
        let key = Digest.sha256Hex("\(username)\u{0}\(password)")
        let hash = user?.bcrypt ?? Self.decoy
        let (matches, _) = await remembered.answer(for: key, now: now) {
            let ok = Self.bcryptMatches(password, hash: hash)
            return (ok, ok ? Self.rememberFor : 0)
        }
        guard matches, let user else {
            return .rejected(Rejection(code: .credentialsInvalid, reason: "the Basic username or password is wrong"))
        }
        return .verified(Identity(username: user.username, scheme: .basic))
    }

    /// Whether `password` hashes to `hash` under bcrypt.
    static func bcryptMatches(_ password: String, hash: String) -> Bool {
        guard !password.utf8.contains(0) else { return false }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: result).utf8)
        let expected = Array(hash.utf8)
        guard computed.count == expected.count else { return false }
        return zip(computed, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
