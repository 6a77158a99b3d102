/// Compiles a checked ``Policy`` into a ``CompiledPolicy``.
public enum PolicyCompiler {
    /// Builds the path trie and per-rule requirements. Never fails: the checker has validated
    /// everything the compiler relies on.
    public static func compile(_ policy: Policy) -> CompiledPolicy {
        var trie = PathTrieBuilder()
        var rules: [CompiledPolicy.CompiledRule] = []
        rules.reserveCapacity(policy.rules.count)
        for (index, rule) in policy.rules.enumerated() {
            let methods = MethodMask(rule.methods)
            let segments = policy.caseSensitivePaths ? rule.path.segments : rule.path.segments.map(Self.folded)
            trie.insert(segments, rule: index, methods: methods)
            var schemes = policy.schemes
            if case .require(let requirement) = rule.action, let own = requirement.schemes { schemes = own }
            rules.append(
                .init(
                    rule: rule, methods: methods, schemes: schemes, hasParameters: !rule.path.parameters.isEmpty,
                    locationText: "\(rule.location)"))
        }
        return CompiledPolicy(
            policy: policy, rules: rules, trie: trie.build(),
            apiTokensByID: Dictionary(policy.apiTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            providersByID: Dictionary(policy.providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            realm: "realm=\"\(CompiledPolicy.quoted(policy.name))\"")
    }

    private static func folded(_ segment: PathPattern.Segment) -> PathPattern.Segment {
        if case .literal(let text) = segment { return .literal(CompiledPolicy.foldASCII(text)) }
        return segment
    }
}
