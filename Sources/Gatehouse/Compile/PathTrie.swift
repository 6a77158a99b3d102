/// The compiled path matcher: a segment trie that remembers rule order.
///
/// Each node holds the rules whose pattern ends there (sorted by rule index, with their method
/// masks) and the lowest rule index anywhere below it, so a search stops exploring branches that
/// cannot beat the best match found so far. Matching never scans the rule list.
struct PathTrie: Sendable {
    struct Terminal: Sendable {
        let rule: Int32
        let methods: UInt32
    }

    struct Node: Sendable {
        var literals: [String: Int32] = [:]
        var one: Int32 = -1
        var anyDepth: Int32 = -1
        var terminals: [Terminal] = []
        var minRule: Int32 = .max
    }

    private(set) var nodes: [Node] = [Node()]

    /// Adds a pattern ending in `rule`. Rules must be inserted in increasing index order.
    mutating func insert(_ segments: [PathPattern.Segment], rule: Int, methods: MethodMask) {
        var current = 0
        nodes[0].minRule = min(nodes[0].minRule, Int32(rule))
        for segment in segments {
            current = child(of: current, for: segment)
            nodes[current].minRule = min(nodes[current].minRule, Int32(rule))
        }
        nodes[current].terminals.append(Terminal(rule: Int32(rule), methods: methods.bits))
    }

    private mutating func child(of parent: Int, for segment: PathPattern.Segment) -> Int {
        let existing: Int32
        switch segment {
        case .literal(let text): existing = nodes[parent].literals[text] ?? -1
        case .one, .parameter: existing = nodes[parent].one
        case .anyDepth: existing = nodes[parent].anyDepth
        }
        if existing >= 0 { return Int(existing) }
        let index = Int32(nodes.count)
        nodes.append(Node())
        switch segment {
        case .literal(let text): nodes[parent].literals[text] = index
        case .one, .parameter: nodes[parent].one = index
        case .anyDepth: nodes[parent].anyDepth = index
        }
        return Int(index)
    }

    /// The lowest rule index whose pattern matches `segments` and whose methods include `method`.
    func firstMatch(_ segments: [String], method: UInt32) -> Int? {
        var best = Int32.max
        visit(0, segments, 0, method, &best)
        return best == .max ? nil : Int(best)
    }

    private func visit(_ index: Int, _ segments: [String], _ position: Int, _ method: UInt32, _ best: inout Int32) {
        let node = nodes[index]
        guard node.minRule < best else { return }
        if position == segments.count {
            if let terminal = node.terminals.first(where: { $0.methods & method != 0 }), terminal.rule < best {
                best = terminal.rule
            }
        } else {
            if let next = node.literals[segments[position]] { visit(Int(next), segments, position + 1, method, &best) }
            if node.one >= 0 { visit(Int(node.one), segments, position + 1, method, &best) }
        }
        if node.anyDepth >= 0 {
            for end in position...segments.count { visit(Int(node.anyDepth), segments, end, method, &best) }
        }
    }
}
