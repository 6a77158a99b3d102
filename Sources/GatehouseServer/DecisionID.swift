import Synchronization

/// Decision ids: 16 hex digits, logged with the decision and sent to the gateway.
enum DecisionID {
    private static let counter = Atomic<UInt64>(.random(in: .min ... .max))

    /// A new id: a random start plus a count, each passed through the SplitMix64 finalizer, a
    /// bijection, so ids never repeat within a process and cost no random-number system call.
    static func next() -> String {
        var value = counter.wrappingAdd(1, ordering: .relaxed).newValue
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        value ^= value >> 31
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
