import CCrypt
import Crypto
import Foundation
import Gatehouse

/// Checks Basic credentials against the policy's bcrypt hashes with libxcrypt's `crypt_r`.
///
/// - An unknown user costs what a known one does: its password is checked against the policy's
///   first hash (the same cost), and refused whatever the result.
/// - bcrypt runs on its own threads (``BcryptWorkers``), never on the task pool that verifies
///   tokens, and at most ``BcryptWorkers/queueLimit`` checks wait: a flood of Basic requests is
///   refused (503 `credentials.busy`) instead of starving every other decision.
/// - Passwords over 72 bytes are refused: bcrypt reads no more, so two passwords that differ only
///   after 72 bytes would be the same.
/// - Results are compared in constant time. A correct password is remembered for a minute (by
///   SHA-256 of the pair), so a client that sends the same credentials on every request does not
///   pay bcrypt's cost every time.
struct BasicVerifier: Sendable {
    /// Hashed for unknown users when the policy has no hash of its own.
    static let decoy = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
    static let rememberFor: TimeInterval = 60
    /// bcrypt reads at most this many bytes of a password.
    static let maxPasswordBytes = 72

    let remembered = AnswerCache<Bool?>(capacity: 1_000)
    let workers: BcryptWorkers

    init(workers: BcryptWorkers = .shared) { self.workers = workers }

    func verify(username: String, password: String, users: [BasicUser], now: Date) async -> Verification {
        guard password.utf8.count <= Self.maxPasswordBytes else {
            return .rejected(
                Rejection(
                    code: .credentialsInvalid,
                    reason:
                        "the Basic password is longer than \(Self.maxPasswordBytes) bytes, which bcrypt does not read"))
        }
        let user = users.first { $0.username.isExactly(username) }
        let key = Digest.sha256Hex("\(username)\u{0}\(password)")
        let hash = user?.bcrypt ?? users.first?.bcrypt ?? Self.decoy
        let (matches, _) = await remembered.answer(for: key, now: now) { [workers] in
            guard let ok = await workers.matches(password, hash: hash) else { return (nil, 0) }
            return (ok, ok ? Self.rememberFor : 0)
        }
        guard let matches = matches else {
            return .rejected(
                Rejection(
                    code: .credentialsBusy, reason: "too many Basic credentials are being checked; try again shortly"))
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
