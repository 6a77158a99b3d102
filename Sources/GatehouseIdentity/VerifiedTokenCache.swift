import Crypto
import Foundation
import Gatehouse
import Synchronization

/// Identities of JWTs already verified, keyed by the SHA-256 of the token (tokens themselves are
/// not kept), each until the token's `exp` and for at most five minutes. A repeated token is
/// answered without parsing or signature work; the lock is held only for a dictionary lookup.
final class VerifiedTokenCache: Sendable {
    static let maxLifetime: TimeInterval = 300

    private struct Entry {
        let identity: Identity
        let expires: Date
        var used: UInt64
    }

    private struct State {
        var entries: [CredentialDigest: Entry] = [:]
        var tick: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    /// The token's SHA-256, hashed where its bytes are (no copy of a kilobyte per request).
    static func key(_ token: String) -> CredentialDigest {
        var token = token
        let digest = token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return digest.withUnsafeBytes { CredentialDigest(bytes: $0)! }
    }

    func identity(for key: CredentialDigest, now: Date) -> Identity? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            state.tick &+= 1
            guard var entry = state.entries[key], now < entry.expires else { return nil }
            entry.used = state.tick
            state.entries[key] = entry
            return entry.identity
        }
    }

    func remember(_ identity: Identity, for key: CredentialDigest, expiry: Date, now: Date) {
        guard capacity > 0 else { return }
        let expires = min(expiry, now.addingTimeInterval(Self.maxLifetime))
        guard expires > now else { return }
        state.withLock { state in
            state.tick &+= 1
            state.entries[key] = Entry(identity: identity, expires: expires, used: state.tick)
            if state.entries.count > capacity {
                let victims = state.entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 10))
                for (key, _) in victims { state.entries[key] = nil }
            }
        }
    }
}
