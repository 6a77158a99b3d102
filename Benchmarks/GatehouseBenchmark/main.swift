import Foundation
import Gatehouse

// Decision-time benchmark. Run in release mode by hand (see docs/performance.md):
//   swift run -c release GatehouseBenchmark            # the table
//   swift run -c release GatehouseBenchmark profile    # a decision loop to run under `perf record`
//                                                      # (`profile once`: 1,000 rounds, for callgrind)
//   swift run -c release GatehouseBenchmark tokens     # token verification (TokenBenchmark.swift)
//   swift run -c release GatehouseBenchmark memory     # memory held by a loaded policy
//   swift run -c release GatehouseBenchmark assertion  # the signed assertion (AssertionBenchmark.swift)
// For 10, 100, 1,000 and 10,000 generated rules it prints the time to check and to compile the
// policy; the median and p99 nanoseconds of a whole decision (target parsing, rule selection,
// requirements, the decision value) over a fixed request mix; and, in the same run, rule
// selection alone by the compiled trie and by a naive linear scan of the same rules.

let clock = ContinuousClock()

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

/// A policy of `count` rules shaped like a large REST API: services with versioned, nested
/// resources, parameters, wildcards and mixed methods, and a few catch-all rules.
func policyText(rules count: Int) -> String {
    var lines = [
        "version: 1", "name: bench", "providers:", "  idp:", "    kind: oidc",
        "    issuer: https://idp.example.com", "    audiences: [api]", "rules:",
        "  - id: health", "    match: { path: \"/**/health\", methods: [GET] }", "    allow: anyone",
    ]
    let shapes: [(String, String)] = [
        ("/api/v1/svc{n}/items", "[GET, HEAD]"),
        ("/api/v1/svc{n}/items/{id}", "[GET, PUT, DELETE]"),
        ("/api/v1/svc{n}/items/{id}/comments/**", ""),
        ("/api/v2/svc{n}/*/reports", "[GET]"),
        ("/api/v2/svc{n}/admin/**", "[POST, PUT, PATCH, DELETE]"),
        ("/api/v1/svc{n}/users/{user}/settings", "[GET, PUT]"),
        ("/internal/svc{n}/**", ""),
        ("/api/v1/svc{n}/search", "[GET, POST]"),
    ]
    var index = 1
    var service = 0
    while index < count - 1 {
        for (pattern, methods) in shapes where index < count - 1 {
            let path = pattern.replacingOccurrences(of: "{n}", with: String(service))
            let methodList = methods.isEmpty ? "" : ", methods: \(methods)"
            let action =
                pattern.contains("{user}")
                ? "require: { username: \"{user}\" }"
                : pattern.hasPrefix("/internal") ? "deny: internal" : "require: { scopes: [svc\(service)] }"
            lines += ["  - id: r\(index)", "    match: { path: \"\(path)\"\(methodList) }", "    \(action)"]
            index += 1
        }
        service += 1
    }
    lines += ["  - id: api", "    match: { path: /api/** }", "    require: authenticated"]
    return lines.joined(separator: "\n") + "\n"
}

/// Requests that hit rules at several depths and positions, and misses.
func requestMix(services: Int) -> [APIRequest] {
    let first = 0, middle = max(0, services / 2), last = max(0, services - 1)
    var requests: [APIRequest] = []
    for service in [first, middle, last] {
        requests += [
            APIRequest(method: "GET", target: "/api/v1/svc\(service)/items"),
            APIRequest(method: "PUT", target: "/api/v1/svc\(service)/items/42"),
            APIRequest(method: "GET", target: "/api/v1/svc\(service)/items/42/comments/7/replies?page=2"),
            APIRequest(method: "GET", target: "/api/v2/svc\(service)/eu/reports"),
            APIRequest(method: "GET", target: "/api/v1/svc\(service)/users/alice/settings"),
            APIRequest(method: "PATCH", target: "/api/v1/svc\(service)/items"),
        ]
    }
    requests += [
        APIRequest(method: "GET", target: "/api/v9/unknown/thing"),
        APIRequest(method: "GET", target: "/static/app.js"),
        APIRequest(method: "GET", target: "/api/v1/svc0/items/1/health"),
    ]
    return requests
}

struct Figures {
    let median: Double
    let p99: Double
}

/// Median and p99 of the per-call time of `body` over `rounds` rounds of the mix, each call
/// timed in batches of `batch` repetitions to keep the clock's own cost out.
func measure(_ mix: [APIRequest], rounds: Int, batch: Int = 64, _ body: (APIRequest) -> Void) -> Figures {
    var samples: [Double] = []
    samples.reserveCapacity(rounds * mix.count)
    for request in mix { for _ in 0..<batch { body(request) } }
    for _ in 0..<rounds {
        for request in mix {
            let start = clock.now
            for _ in 0..<batch { body(request) }
            samples.append(nanoseconds(clock.now - start) / Double(batch))
        }
    }
    samples.sort()
    return Figures(median: samples[samples.count / 2], p99: samples[min(samples.count - 1, samples.count * 99 / 100)])
}

@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

// A caller with a realistic handful of scopes: some rules allow it, others deny with require.scope.
let identity = Identity(
    username: "alice", provider: "idp", scheme: .bearer, groups: ["staff"],
    scopes: ["svc0", "svc1", "svc12", "svc62", "svc124", "svc624", "svc1249", "openid"])
let now = Date()
if CommandLine.arguments.contains("tokens") {
    // Off the main actor, as a server's request handlers run.
    try await Task.detached { try await runTokenBenchmark() }.value
    exit(0)
}
if CommandLine.arguments.contains("assertion") {
    try runAssertionBenchmark()
    exit(0)
}
if CommandLine.arguments.contains("memory") {
    memoryReport(compacting: !CommandLine.arguments.contains("uncompacted"))
    exit(0)
}
if CommandLine.arguments.contains("load") {
    let arguments = CommandLine.arguments
    loadReport(loops: arguments.contains("profile") ? 40 : arguments.contains("once") ? 1 : nil)
    exit(0)
}
if CommandLine.arguments.contains("profile") {
    let compiled = PolicyCompiler.compile(
        PolicyChecker.check(SourceFile(name: "b", text: policyText(rules: 1000))).policy!)
    let evaluator = Evaluator(policy: compiled)
    let mix = requestMix(services: 124)
    // `profile once`: a thousand rounds, for counting instructions under callgrind.
    let rounds = CommandLine.arguments.contains("once") ? 1_000 : 100_000
    for _ in 0..<rounds { for r in mix { consume(evaluator.decide(r, identity: identity, now: now)) } }
    exit(0)
}
print(
    "rules   check ms  compile ms | decide median ns  p99 ns | parse median ns | trie select median ns  p99 ns | scan select median ns  p99 ns | scan/trie"
)
for count in [10, 100, 1_000, 10_000] {
    let text = policyText(rules: count)
    let checkStart = clock.now
    let result = PolicyChecker.check(SourceFile(name: "bench.yaml", text: text))
    let checkTime = nanoseconds(clock.now - checkStart) / 1e6
    guard let policy = result.policy else {
        print(DiagnosticRenderer(sources: []).render(result.diagnostics, as: .text))
        exit(1)
    }
    var compileTimes: [Double] = []
    var compiled = PolicyCompiler.compile(policy)
    for _ in 0..<5 {
        let start = clock.now
        compiled = PolicyCompiler.compile(policy)
        compileTimes.append(nanoseconds(clock.now - start) / 1e6)
    }
    let evaluator = Evaluator(policy: compiled)
    let mix = requestMix(services: (count - 2) / 8)
    let rounds = count >= 10_000 ? 60 : 300
    let decide = measure(mix, rounds: rounds) { consume(evaluator.decide($0, identity: identity, now: now)) }
    let parse = measure(mix, rounds: rounds) { consume(RequestTarget.parse($0.target)) }
    let segments = mix.map { (try? RequestTarget.parse($0.target).get())?.segments ?? [] }
    let methods = mix.map { MethodMask(requestMethod: $0.method) }
    let indexed = mix.indices.map { APIRequest(method: String($0), target: "") }
    let trie = measure(indexed, rounds: rounds) { request in
        let i = Int(request.method)!
        consume(compiled.firstMatch(segments: segments[i], method: methods[i]))
    }
    let scan = measure(indexed, rounds: count >= 10_000 ? 5 : rounds, batch: count >= 1_000 ? 4 : 64) { request in
        let i = Int(request.method)!
        consume(compiled.firstMatchByScan(segments: segments[i], method: methods[i]))
    }
    for (i, request) in mix.enumerated() {
        precondition(
            compiled.firstMatch(segments: segments[i], method: methods[i])
                == compiled.firstMatchByScan(segments: segments[i], method: methods[i]), "\(request.target)")
    }
    func cell(_ value: Double, _ width: Int, _ digits: Int = 0) -> String {
        String(format: "%\(width).\(digits)f", value)
    }
    print(
        [
            String(count).padding(toLength: 7, withPad: " ", startingAt: 0), cell(checkTime, 8, 1),
            cell(compileTimes.sorted()[2], 11, 2),
            "|", cell(decide.median, 16), cell(decide.p99, 7), "|", cell(parse.median, 15), "|", cell(trie.median, 21),
            cell(trie.p99, 7), "|", cell(scan.median, 21), cell(scan.p99, 7), "|",
            cell(scan.median / trie.median, 8, 1) + "x",
        ].joined(separator: " "))
}
