import Synchronization

/// Decision ids: 16 hex digits, logged with the decision and sent to the gateway.
package enum DecisionID {
    private static let counter = Atomic<UInt64>(0)
    /// The round keys, random for each process.
    private static let keys: [UInt64] = (0..<4).map { _ in .random(in: .min ... .max) }

    /// A new id: a count, enciphered by a four-round Feistel network keyed at random for the
    /// process. A Feistel network is a bijection, so ids never repeat within a process; without the
    /// keys an id says nothing of the count (nor of how many decisions came between two ids), and
    /// none costs a random-number system call.
    package static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        var left = UInt32(truncatingIfNeeded: count >> 32)
        var right = UInt32(truncatingIfNeeded: count)
        for key in keys {
            var hasher = Hasher()
            hasher.combine(key)
            hasher.combine(right)
            (left, right) = (right, left ^ UInt32(truncatingIfNeeded: hasher.finalize()))
        }
        let digits = String(UInt64(left) << 32 | UInt64(right), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
