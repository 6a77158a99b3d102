/// "Did you mean" suggestions by edit distance.
enum Suggestion {
    /// The candidate closest to `word` when it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let allowed = word.count <= 3 ? 1 : max(2, min(3, word.count / 3))
        return best.1 <= allowed ? best.0 : nil
    }

    /// `help` text suggesting the closest candidate, or listing them all when none is close.
    static func help(for word: String, in candidates: [String], listing: Bool = true) -> String? {
        if let match = closest(to: word, in: candidates) { return "did you mean `\(match)`?" }
        guard listing, !candidates.isEmpty else { return nil }
        return "expected one of " + candidates.map { "`\($0)`" }.joined(separator: ", ")
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}
