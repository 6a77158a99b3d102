/// Builds a ``PathTrie`` rule by rule.
struct PathTrieBuilder {
    struct Terminal: Sendable {
        let rule: Int32
        let methods: UInt32
    }

    struct Node: Sendable {
        /// Interned literal segments, sorted, and the child for each.
        var literalKeys: [Int32] = []
        var literalChildren: [Int32] = []
        var one: Int32 = -1
        var anyDepth: Int32 = -1
        var terminals: [Terminal] = []
        var minRule: Int32 = .max

        func child(for symbol: Int32) -> Int32? {
            var low = 0, high = literalKeys.count
            while low < high {
                let middle = (low + high) / 2
                if literalKeys[middle] < symbol { low = middle + 1 } else { high = middle }
            }
            return low < literalKeys.count && literalKeys[low] == symbol ? literalChildren[low] : nil
        }

        mutating func add(_ symbol: Int32, child: Int32) {
            var low = 0
            while low < literalKeys.count && literalKeys[low] < symbol { low += 1 }
            literalKeys.insert(symbol, at: low)
            literalChildren.insert(child, at: low)
        }
    }

    private(set) var nodes: [Node] = [Node()]
    private(set) var symbols: [String: Int32] = [:]

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
        switch segment {
        case .literal(let text):
            let symbol = intern(text)
            if let existing = nodes[parent].child(for: symbol) { return Int(existing) }
            let index = appendNode()
            nodes[parent].add(symbol, child: index)
            return Int(index)
        case .one, .parameter:
            if nodes[parent].one < 0 { nodes[parent].one = appendNode() }
            return Int(nodes[parent].one)
        case .anyDepth:
            if nodes[parent].anyDepth < 0 { nodes[parent].anyDepth = appendNode() }
            return Int(nodes[parent].anyDepth)
        }
    }

    private mutating func intern(_ text: String) -> Int32 {
        if let symbol = symbols[text] { return symbol }
        let symbol = Int32(symbols.count)
        symbols[text] = symbol
        return symbol
    }

    private mutating func appendNode() -> Int32 {
        nodes.append(Node())
        return Int32(nodes.count - 1)
    }

    /// The trie in its compact, read-only form.
    func build() -> PathTrie {
        var flat: [PathTrie.Node] = []
        var keys: [Int32] = [], children: [Int32] = [], terminals: [Terminal] = []
        for node in nodes {
            flat.append(
                PathTrie.Node(
                    literalStart: Int32(keys.count), literalCount: Int32(node.literalKeys.count), one: node.one,
                    anyDepth: node.anyDepth, terminalStart: Int32(terminals.count),
                    terminalCount: Int32(node.terminals.count),
                    minRule: node.minRule))
            keys += node.literalKeys
            children += node.literalChildren
            terminals += node.terminals
        }
        return PathTrie(
            nodes: flat, keys: keys, children: children, terminals: terminals,
            symbols: SymbolTable(symbols))
    }
}

/// The compiled path matcher: a segment trie that remembers rule order.
///
/// Every literal segment of the policy is interned as a small integer, so a request's segments
/// are hashed once each and the walk itself only compares integers (children are sorted arrays,
/// searched by bisection). Each node holds the rules whose pattern ends there, sorted by rule
/// index with their method masks, and the lowest rule index anywhere below it, so the search stops
/// exploring branches that cannot beat the best match found so far. Matching never scans the rule
/// list.
///
/// Its nodes hold only integers (ranges into shared arrays), so a walk does no reference counting.
struct PathTrie: Sendable {
    struct Node: Sendable {
        let literalStart: Int32, literalCount: Int32
        let one: Int32, anyDepth: Int32
        let terminalStart: Int32, terminalCount: Int32
        let minRule: Int32
    }

    let nodes: [Node]
    let keys: [Int32]
    let children: [Int32]
    let terminals: [PathTrieBuilder.Terminal]
    let symbols: SymbolTable

    private struct View {
        let nodes: UnsafeBufferPointer<Node>
        let keys: UnsafeBufferPointer<Int32>
        let children: UnsafeBufferPointer<Int32>
        let terminals: UnsafeBufferPointer<PathTrieBuilder.Terminal>
        let path: UnsafeBufferPointer<Int32>
        let method: UInt32

        func child(of node: Node, for symbol: Int32) -> Int32? {
            var low = Int(node.literalStart), high = low + Int(node.literalCount)
            let end = high
            while low < high {
                let middle = (low + high) / 2
                if keys[middle] < symbol { low = middle + 1 } else { high = middle }
            }
            return low < end && keys[low] == symbol ? children[low] : nil
        }

        func visit(_ index: Int, _ position: Int, _ best: inout Int32) {
            let node = nodes[index]
            guard node.minRule < best else { return }
            if position == path.count {
                let start = Int(node.terminalStart)
                for terminal in terminals[start..<start + Int(node.terminalCount)] where terminal.methods & method != 0
                {
                    if terminal.rule < best { best = terminal.rule }
                    break
                }
            } else {
                if path[position] >= 0, let next = child(of: node, for: path[position]) {
                    visit(Int(next), position + 1, &best)
                }
                if node.one >= 0 { visit(Int(node.one), position + 1, &best) }
            }
            if node.anyDepth >= 0 {
                for end in position...path.count { visit(Int(node.anyDepth), end, &best) }
            }
        }
    }

    /// The lowest rule index whose pattern matches `segments` and whose methods include `method`.
    func firstMatch(_ segments: [String], method: UInt32) -> Int? {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: segments.count) { path in
            for (index, segment) in segments.enumerated() { path[index] = symbols.lookup(segment) }
            return nodes.withUnsafeBufferPointer { nodes in
                keys.withUnsafeBufferPointer { keys in
                    children.withUnsafeBufferPointer { children in
                        terminals.withUnsafeBufferPointer { terminals in
                            let view = View(
                                nodes: nodes, keys: keys, children: children, terminals: terminals,
                                path: UnsafeBufferPointer(path), method: method)
                            var best = Int32.max
                            view.visit(0, 0, &best)
                            return best == .max ? nil : Int(best)
                        }
                    }
                }
            }
        }
    }
}

/// The literal segments of a policy and their numbers: an open-addressing table hashed with
/// FNV-1a over the UTF-8 bytes, cheaper per request than `Dictionary`'s seeded SipHash. (Hash
/// flooding is no concern: the table is fixed at compile time and a request only reads it.) The
/// segments' bytes are kept end to end in one array, so a lookup hashes and compares bytes in
/// place, with no `String` operation beyond reaching the segment's own bytes.
struct SymbolTable: Sendable {
    private let slots: [Int32]
    /// Every symbol's UTF-8, in symbol order; symbol `s` is `bytes[starts[s]..<starts[s + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int32]
    private let hashes: [UInt64]
    private let mask: Int

    init(_ symbols: [String: Int32]) {
        var capacity = 16
        while capacity < symbols.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        var texts = [String](repeating: "", count: symbols.count)
        for (text, symbol) in symbols { texts[Int(symbol)] = text }
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        var hashes: [UInt64] = []
        for (symbol, text) in texts.enumerated() {
            bytes += text.utf8
            starts.append(Int32(bytes.count))
            var copy = text
            let hash = copy.withUTF8(Self.hash)
            hashes.append(hash)
            var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(symbol)
        }
        self.slots = slots
        self.bytes = bytes
        self.starts = starts
        self.hashes = hashes
        self.mask = capacity - 1
    }

    /// The number of `text`, or -1 when no pattern names it.
    func lookup(_ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { text in
            bytes.withUnsafeBufferPointer { bytes in
                let hash = Self.hash(text)
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let symbol = slots[slot]
                    if symbol < 0 { return -1 }
                    if hashes[Int(symbol)] == hash {
                        let start = Int(starts[Int(symbol)])
                        let known = UnsafeBufferPointer(rebasing: bytes[start..<Int(starts[Int(symbol) + 1])])
                        if known.hasSameBytes(as: text) { return symbol }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }
}
