import Gatehouse

/// What loading a 10,000-rule policy costs, as `serve` and `check` load it: checking the YAML,
/// copying the rules out of the checker's memory, compiling; the median of 7 loads and each part's
/// median. With `loops`, only loads that many times: 40 for `perf record`, once for counting
/// instructions with `valgrind --tool=callgrind`, which the machine's noise does not move.
func loadReport(rules count: Int = 10_000, loops: Int?) {
    let source = SourceFile(name: "bench.yaml", text: policyText(rules: count))
    if let loops {
        for _ in 0..<loops { consume(PolicyLoader.load(source, files: InMemoryFiles([:]))) }
        return
    }
    var parts: [(check: Double, compact: Double, compile: Double)] = []
    for _ in 0..<7 {
        let start = clock.now
        let checked = PolicyChecker.check(source)
        let checkedAt = clock.now
        guard let policy = checked.policy?.compacted() else { fatalError("the generated policy does not check") }
        let compactedAt = clock.now
        consume(PolicyCompiler.compile(policy))
        let end = clock.now
        parts.append(
            (
                nanoseconds(checkedAt - start) / 1e6, nanoseconds(compactedAt - checkedAt) / 1e6,
                nanoseconds(end - compactedAt) / 1e6
            ))
    }
    func median(_ values: [Double]) -> String { String(format: "%.1f", values.sorted()[values.count / 2]) }
    let totals = parts.map { $0.check + $0.compact + $0.compile }
    print(
        "rules \(count): load \(median(totals)) ms (check \(median(parts.map(\.check))) ms,"
            + " compact \(median(parts.map(\.compact))) ms, compile \(median(parts.map(\.compile))) ms);"
            + " median of 7, single loads \(totals.map { String(format: "%.0f", $0) }.joined(separator: "/")) ms")
}
