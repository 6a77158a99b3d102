/// Finds rules that an earlier rule shadows completely: every request the later rule matches, the
/// earlier one matches first.
///
/// Pattern inclusion is decided exactly, as inclusion of two small automata over an alphabet of
/// the literals in both patterns plus one symbol for "any other segment". Candidate pairs come
/// from a trie of literal prefixes, so a policy with thousands of rules is checked quickly.
struct ShadowAnalysis {
    struct Shadow {
        let rule: Rule
        let by: Rule
    }

    let rules: [Rule]
    let caseSensitive: Bool

    func shadowedRules() -> [Shadow] {
        let patterns = rules.map { $0.path.segments.map(fold) }
        let prefixes = patterns.map(Self.literalPrefix)
        var trie = PrefixTrie()
        let methods = rules.map { MethodMask($0.methods) }
        var shadows: [Shadow] = []
        for index in rules.indices {
            let by = trie.first(alongPrefix: prefixes[index]) { earlier in
                methods[earlier].covers(methods[index]) && Self.covers(patterns[earlier], patterns[index])
            }
            if let by { shadows.append(Shadow(rule: rules[index], by: rules[by])) }
            trie.insert(index, prefix: prefixes[index])
        }
        return shadows
    }

    private func fold(_ segment: PathPattern.Segment) -> PathPattern.Segment {
        switch segment {
        case .literal(let text) where !caseSensitive: return .literal(CompiledPolicy.foldASCII(text))
        case .parameter: return .one
        default: return segment
        }
    }

    private static func literalPrefix(_ segments: [PathPattern.Segment]) -> [String] {
        var prefix: [String] = []
        for case .literal(let text) in segments.prefix(while: { if case .literal = $0 { true } else { false } }) {
            prefix.append(text)
        }
        return prefix
    }

    /// Whether every path matched by `inner` is matched by `outer`.
    static func covers(_ outer: [PathPattern.Segment], _ inner: [PathPattern.Segment]) -> Bool {
        quickVerdict(outer, inner) ?? coversByAutomata(outer, inner)
    }

    /// The answer of ``covers`` where it follows from the patterns' fixed ends, nil where it takes
    /// the automata: most candidate pairs of a large policy are settled here, without sets.
    private static func quickVerdict(_ outer: [PathPattern.Segment], _ inner: [PathPattern.Segment]) -> Bool? {
        let innerIsFixed = !inner.contains(.anyDepth)
        guard let firstAny = outer.firstIndex(of: .anyDepth), let lastAny = outer.lastIndex(of: .anyDepth) else {
            // A fixed outer matches paths of one length; an inner with `**` matches longer ones.
            guard innerIsFixed, inner.count == outer.count else { return false }
            return zip(outer, inner).allSatisfy(segmentCovers)
        }
        guard innerIsFixed else { return nil }
        // Every path `inner` matches has its length: `outer`'s segments before its first `**` must
        // cover the path's first ones and those after its last `**` its last ones.
        let head = outer[..<firstAny]
        let tail = outer[(lastAny + 1)...]
        guard head.count + tail.count <= inner.count, zip(head, inner).allSatisfy(segmentCovers),
            zip(tail, inner.suffix(tail.count)).allSatisfy(segmentCovers)
        else { return false }
        return firstAny == lastAny ? true : nil
    }

    /// Whether `outer`, a segment with no `**`, matches every segment `inner` (also none) matches.
    private static func segmentCovers(_ outer: PathPattern.Segment, _ inner: PathPattern.Segment) -> Bool {
        switch (outer, inner) {
        case (.one, _), (.parameter, _): true
        case (.literal(let a), .literal(let b)): a == b
        default: false
        }
    }

    private static func coversByAutomata(_ outer: [PathPattern.Segment], _ inner: [PathPattern.Segment]) -> Bool {
        var literals: Set<String> = []
        for case .literal(let text) in outer + inner { literals.insert(text) }
        let alphabet: [String?] = literals.map { $0 } + [nil]
        let start = (closure(inner, [0]), closure(outer, [0]))
        var seen: Set<[Set<Int>]> = [[start.0, start.1]]
        var queue = [start]
        while let (innerStates, outerStates) = queue.popLast() {
            if innerStates.contains(inner.count) && !outerStates.contains(outer.count) { return false }
            for symbol in alphabet {
                let next = (step(inner, innerStates, symbol), step(outer, outerStates, symbol))
                if next.0.isEmpty { continue }
                if seen.insert([next.0, next.1]).inserted { queue.append(next) }
            }
        }
        return true
    }

    /// NFA states after reading one segment; `nil` stands for a segment no literal names.
    private static func step(_ pattern: [PathPattern.Segment], _ states: Set<Int>, _ symbol: String?) -> Set<Int> {
        var next: Set<Int> = []
        for state in states where state < pattern.count {
            switch pattern[state] {
            case .literal(let text): if text == symbol { next.insert(state + 1) }
            case .one, .parameter: next.insert(state + 1)
            case .anyDepth: next.insert(state)
            }
        }
        return closure(pattern, next)
    }

    /// Adds the states reachable by letting `**` match nothing.
    private static func closure(_ pattern: [PathPattern.Segment], _ states: Set<Int>) -> Set<Int> {
        var result = states
        var pending = Array(states)
        while let state = pending.popLast() {
            if state < pattern.count, pattern[state] == .anyDepth, result.insert(state + 1).inserted {
                pending.append(state + 1)
            }
        }
        return result
    }
}

/// Rules indexed by their literal prefix.
private struct PrefixTrie {
    private final class Node {
        var children: [String: Node] = [:]
        var rules: [Int] = []
    }

    private let root = Node()

    mutating func insert(_ rule: Int, prefix: [String]) {
        var node = root
        for segment in prefix {
            if let child = node.children[segment] {
                node = child
            } else {
                let child = Node()
                node.children[segment] = child
                node = child
            }
        }
        node.rules.append(rule)
    }

    /// The first rule, in file order, whose prefix is a prefix of `prefix` and that satisfies
    /// `test`. Each node holds its rules in file order, so a node is searched only up to the rule
    /// found so far.
    func first(alongPrefix prefix: [String], where test: (Int) -> Bool) -> Int? {
        var found = root.rules.first(where: test)
        var node = root
        for segment in prefix {
            guard let child = node.children[segment] else { break }
            node = child
            // Rules after one already found cannot come first.
            let limit = found ?? Int.max
            if let rule = node.rules.prefix(while: { $0 < limit }).first(where: test) { found = rule }
        }
        return found
    }
}
