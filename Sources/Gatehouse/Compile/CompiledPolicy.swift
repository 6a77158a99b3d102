/// A policy prepared for evaluation: built once by ``PolicyCompiler``, immutable, shared freely.
public struct CompiledPolicy: Sendable {
    /// A rule with what evaluation needs precomputed.
    public struct CompiledRule: Sendable {
        /// The rule as checked.
        public let rule: Rule
        /// Its methods as bits.
        public let methods: MethodMask
        /// The schemes it accepts: its own `schemes`, else the policy's.
        public let schemes: SchemeSet
        /// Whether it captures path parameters.
        let hasParameters: Bool
    }

    /// The checked policy.
    public let policy: Policy
    /// The rules, in file order.
    public let rules: [CompiledRule]
    let trie: PathTrie
    let apiTokensByID: [String: APIToken]
    let providersByID: [String: Provider]

    /// The index of the rule that decides `segments` (already case-folded as the policy says) and
    /// `method`, or nil when no rule matches.
    public func firstMatch(segments: [String], method: MethodMask) -> Int? {
        trie.firstMatch(segments, method: method.bits)
    }

    /// The same answer as ``firstMatch(segments:method:)`` by trying every rule in order: the
    /// reference for tests and the baseline for benchmarks.
    public func firstMatchByScan(segments: [String], method: MethodMask) -> Int? {
        rules.firstIndex { $0.methods.intersects(method) && $0.rule.path.match(segments, caseSensitive: policy.caseSensitivePaths) != nil }
    }

    /// Segments as the matcher compares them.
    public func folded(_ segments: [String]) -> [String] {
        policy.caseSensitivePaths ? segments : segments.map { $0.lowercased() }
    }

    /// The provider with `id`.
    public func provider(_ id: String) -> Provider? { providersByID[id] }

    /// The API token with `id`.
    public func apiToken(_ id: String) -> APIToken? { apiTokensByID[id] }
}
