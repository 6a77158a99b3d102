import Crypto
import Foundation
import Gatehouse
import GatehouseIdentity
import GatehouseServer
import _CryptoExtras

// The signed assertion's cost (`GatehouseBenchmark assertion`): for EdDSA and ES256, the raw
// swift-crypto signature of a payload of the assertion's size (the baseline, same run), a fresh
// assertion (a new caller each time: claims, JSON, signature, kept for reuse) and a reused one
// (the same caller and rule again, as a cached token's decisions are).

func runAssertionBenchmark() throws {
    let folder = NSTemporaryDirectory() + "gatehouse-assertion-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ed = Curve25519.Signing.PrivateKey()
    let p256 = P256.Signing.PrivateKey()
    try ed.pemRepresentation.write(toFile: folder + "/ed.pem", atomically: true, encoding: .utf8)
    try p256.pemRepresentation.write(toFile: folder + "/p256.pem", atomically: true, encoding: .utf8)
    let payload = Array(repeating: UInt8(ascii: "a"), count: 420)
    print("assertion: median ns per call (baseline: the raw signature of 420 bytes, same run)")
    for (name, file) in [("EdDSA", "ed.pem"), ("ES256", "p256.pem")] {
        let yaml = """
            version: 1
            api_tokens:
              - { id: bot, sha256: \(String(repeating: "0", count: 64)), username: bot }
            assertion:
              issuer: https://gatehouse.test
              audience: api
              keys: [{ file: \(file), kid: k }]
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        try yaml.write(toFile: folder + "/policy.yaml", atomically: true, encoding: .utf8)
        let loaded = try ActivePolicy.load(folder + "/policy.yaml", files: LocalFiles()).get()
        let request = APIRequest(method: "GET", target: "/api/things")
        let decision = { (user: String) in
            loaded.evaluator.decide(
                request, identity: Identity(username: user, subject: user, scheme: .apiToken, groups: ["staff"]),
                now: now)
        }
        let same = decision("alice")
        let fresh = (0..<20_000).map { decision("user-\($0)") }
        var next = 0
        let raw = measureCalls(rounds: 101, batch: 50) {
            if name == "EdDSA" {
                consume(try? ed.signature(for: payload))
            } else {
                consume(try? p256.signature(for: payload))
            }
        }
        let signed = measureCalls(rounds: 101, batch: 50) {
            consume(loaded.signAssertion(for: fresh[next % fresh.count], id: "0123456789abcdef", now: now))
            next += 1
        }
        let reused = measureCalls(rounds: 101, batch: 50) {
            consume(loaded.signAssertion(for: same, id: "0123456789abcdef", now: now))
        }
        print(
            "  \(name): raw signature \(Int(raw)) ns; fresh assertion \(Int(signed)) ns (\(String(format: "%.2f", signed / raw))x); reused \(Int(reused)) ns"
        )
    }
}

/// Median nanoseconds per call of `body`, over `rounds` batches of `batch` calls.
func measureCalls(rounds: Int, batch: Int, _ body: () -> Void) -> Double {
    for _ in 0..<batch { body() }
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for _ in 0..<batch { body() }
        samples.append(nanoseconds(ContinuousClock.now - start) / Double(batch))
    }
    return samples.sorted()[samples.count / 2]
}
