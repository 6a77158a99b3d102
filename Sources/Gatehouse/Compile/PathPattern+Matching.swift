extension PathPattern {
    /// The captured parameters when the pattern matches `segments`, else nil. A direct
    /// backtracking match: used for the winning rule's captures, for explanations, and as the
    /// reference the compiled trie is tested against. Literals compare byte for byte (ASCII letters
    /// folded when not `caseSensitive`); captures keep the segments as given.
    public func match(_ segments: [String], caseSensitive: Bool = true) -> [String: String]? {
        var captures: [String: String] = [:]
        return match(from: 0, segments, 0, caseSensitive, &captures) ? captures : nil
    }

    private func match(
        from index: Int, _ path: [String], _ position: Int, _ caseSensitive: Bool, _ captures: inout [String: String]
    ) -> Bool {
        guard index < segments.count else { return position == path.count }
        switch segments[index] {
        case .anyDepth:
            for end in position...path.count where match(from: index + 1, path, end, caseSensitive, &captures) {
                return true
            }
            return false
        case .literal(let text):
            guard position < path.count else { return false }
            let equal =
                caseSensitive
                ? path[position].utf8.elementsEqual(text.utf8)
                : path[position].utf8.lazy.map(CompiledPolicy.foldASCII).elementsEqual(
                    text.utf8.lazy.map(CompiledPolicy.foldASCII))
            return equal && match(from: index + 1, path, position + 1, caseSensitive, &captures)
        case .one:
            return position < path.count && match(from: index + 1, path, position + 1, caseSensitive, &captures)
        case .parameter(let name):
            guard position < path.count else { return false }
            captures[name] = path[position]
            return match(from: index + 1, path, position + 1, caseSensitive, &captures)
        }
    }
}
