import Dispatch
import Foundation
import Synchronization

/// bcrypt's own threads. bcrypt is deliberately slow (about 0.2 s at cost 12): run on the task pool
/// that verifies tokens, a few Basic requests at once would hold every one of its threads. Here it
/// runs on serial dispatch queues of its own, and when ``queueLimit`` checks are already waiting a
/// new one is refused at once instead of waiting without end.
final class BcryptWorkers: Sendable {
    /// The workers every verifier shares: one thread for each two cores, 64 checks waiting at most.
    static let shared = BcryptWorkers()

    /// How many checks may run or wait at once.
    let queueLimit: Int
    private let queues: [DispatchQueue]
    private let admitted = Atomic<Int>(0)
    private let turn = Atomic<Int>(0)
    private let check: @Sendable (String, String) -> Bool

    /// `threads` queues, at most `queueLimit` checks, each done by `check` (bcrypt by default).
    init(
        threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), queueLimit: Int = 64,
        check: @escaping @Sendable (String, String) -> Bool = BasicVerifier.bcryptMatches
    ) {
        self.queueLimit = queueLimit
        self.check = check
        queues = (0..<max(1, threads)).map { DispatchQueue(label: "gatehouse.bcrypt.\($0)", qos: .utility) }
    }

    /// Whether `password` hashes to `hash`; nil when too many checks are waiting already.
    func matches(_ password: String, hash: String) async -> Bool? {
        guard admitted.wrappingAdd(1, ordering: .relaxed).newValue <= queueLimit else {
            admitted.wrappingSubtract(1, ordering: .relaxed)
            return nil
        }
        defer { admitted.wrappingSubtract(1, ordering: .relaxed) }
        let queue = queues[Int(UInt(bitPattern: turn.wrappingAdd(1, ordering: .relaxed).newValue) % UInt(queues.count))]
        let check = self.check
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: check(password, hash)) }
        }
    }
}
