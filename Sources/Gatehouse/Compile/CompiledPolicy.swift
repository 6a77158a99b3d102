/// A policy prepared for evaluation: built once by ``PolicyCompiler``, immutable, shared freely.
public struct CompiledPolicy: Sendable {
    /// A rule with what evaluation needs precomputed. A class, so the hot path passes one
    /// reference instead of copying the rule's strings and lists.
    public final class CompiledRule: Sendable {
        /// The rule as checked.
        public let rule: Rule
        /// Its methods as bits.
        public let methods: MethodMask
        /// The schemes it accepts: its own `schemes`, else the policy's.
        public let schemes: SchemeSet
        /// Whether it captures path parameters.
        let hasParameters: Bool
        /// `file:line:column` of the rule, rendered once.
        let locationText: String

        init(rule: Rule, methods: MethodMask, schemes: SchemeSet, hasParameters: Bool, locationText: String) {
            self.rule = rule
            self.methods = methods
            self.schemes = schemes
            self.hasParameters = hasParameters
            self.locationText = locationText
        }
    }

    /// The checked policy.
    public let policy: Policy
    /// The rules, in file order.
    public let rules: [CompiledRule]
    let trie: PathTrie
    let apiTokensByID: [String: APIToken]
    let providersByID: [String: Provider]
    /// `realm="<policy name>"`, quoted once for every challenge.
    let realm: String

    /// The index of the rule that decides `segments` (already case-folded as the policy says) and
    /// `method`, or nil when no rule matches.
    public func firstMatch(segments: [String], method: MethodMask) -> Int? {
        trie.firstMatch(segments, method: method.bits)
    }

    /// The same answer as ``firstMatch(segments:method:)`` by trying every rule in order: the
    /// reference for tests and the baseline for benchmarks.
    public func firstMatchByScan(segments: [String], method: MethodMask) -> Int? {
        rules.firstIndex {
            $0.methods.intersects(method)
                && $0.rule.path.match(segments, caseSensitive: policy.caseSensitivePaths) != nil
        }
    }

    /// `text` as the inside of an HTTP quoted-string: `\` and `"` escaped.
    static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) else { return text }
        var result = ""
        for character in text {
            if character == "\\" || character == "\"" { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// Segments as the matcher compares them: with `case_sensitive_paths: false`, ASCII letters
    /// folded to lowercase and every other character as it is (see ``foldASCII(_:)-swift.type.method``).
    public func folded(_ segments: [String]) -> [String] {
        policy.caseSensitivePaths ? segments : segments.map(Self.foldASCII)
    }

    /// `text` with `A`–`Z` as `a`–`z` and nothing else changed: the one case folding of paths. No
    /// other character folds (Unicode lowercasing would turn the Kelvin sign into `k`), so a request
    /// matches a rule case-insensitively exactly when it does byte for byte after this.
    public static func foldASCII(_ text: String) -> String {
        guard text.utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return text }
        return String(decoding: text.utf8.map(foldASCII), as: UTF8.self)
    }

    /// One byte folded as ``foldASCII(_:)-swift.type.method`` folds text.
    static func foldASCII(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }

    /// The provider with `id`.
    public func provider(_ id: String) -> Provider? { providersByID[id] }

    /// The API token with `id`.
    public func apiToken(_ id: String) -> APIToken? { apiTokensByID[id] }
}
