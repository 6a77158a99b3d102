import Crypto
import Foundation
import Gatehouse
import Synchronization
import Testing
import _CryptoExtras

@testable import GatehouseBundle
@testable import GatehouseServer

/// A bundle server scripted by the test: each fetch takes the next answer and records the
/// entity tag it was asked with.
final class ScriptedBundleSource: BundleSource {
    private let answers: Mutex<[BundleFetch]>
    private let asked = Mutex<[BundleVersion]>([])
    let location = "http://bundles.test/app.tar"

    init(_ answers: [BundleFetch]) { self.answers = Mutex(answers) }

    func fetch(since current: BundleVersion) async -> BundleFetch {
        asked.withLock { $0.append(current) }
        return answers.withLock {
            $0.isEmpty ? .failed(reason: "unreachable", message: "script ended") : $0.removeFirst()
        }
    }

    /// The version each fetch so far asked with.
    var versions: [BundleVersion] { asked.withLock { $0 } }
}

extension BundleFetch: CustomTestStringConvertible {
    /// A bundle tagged `etag`.
    static func bundle(_ bytes: [UInt8], etag: String?) -> BundleFetch { .bundle(bytes, BundleVersion(etag: etag)) }

    public var testDescription: String {
        switch self {
        case .bundle(let bytes, let version): "a bundle of \(bytes.count) bytes, tag \(version.etag ?? "none")"
        case .notModified: "304"
        case .failed(let reason, _): reason
        }
    }
}

/// What a poller reported, in order.
final class Reports: Sendable {
    private let all = Mutex<[String]>([])
    func add(_ line: String) { all.withLock { $0.append(line) } }
    var lines: [String] { all.withLock { $0 } }
}

/// Bundles for the tests: an API-token policy whose one rule's path names the revision.
enum TestBundles {
    static let key = Curve25519.Signing.PrivateKey()
    static var publicKey: BundlePublicKey { try! BundlePublicKey(pem: key.publicKey.pemRepresentation) }
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func policy(_ name: String, extra: String = "") -> String {
        """
        version: 1
        name: \(name)
        api_tokens:
          - id: ci
            sha256: f2f94316eb2628778479c12e472020524a33c6b565ac65100322c55add52a598
            username: ci-bot
        schemes: [api_token]
        rules:
          - id: \(name)
            match: { path: /\(name)/** }
            allow: anyone
        \(extra)
        """
    }

    /// The signed bundle of `policy` (unsigned when `signed` is false), revision `revision`,
    /// built `minutes` after ``start``.
    static func bundle(_ revision: String, minutes: Double = 0, policy: String? = nil, signed: Bool = true) -> [UInt8] {
        let loaded = PolicyLoader.load(
            SourceFile(name: "app.yaml", text: policy ?? Self.policy(revision)), files: InMemoryFiles([:]))
        let bytes = try! BundleBuilder.build(loaded, revision: revision, builtAt: start + minutes * 60)
        guard signed else { return bytes }
        return try! PolicyBundle.open(bytes).signed(with: try! BundleSigningKey(pem: key.pemRepresentation))
    }

    static func settings(cache: String? = nil, allowUnsigned: Bool = false) -> BundlePoller.Settings {
        BundlePoller.Settings(
            keys: allowUnsigned ? [] : [publicKey], allowUnsigned: allowUnsigned,
            schedule: PollSchedule(minimum: .seconds(1), maximum: .seconds(2))!, cache: cache)
    }
}

struct BundlePollerTests {
    let metrics = ServerMetrics()
    let reports = Reports()

    func poller(
        _ source: ScriptedBundleSource, active: ActivePolicy = ActivePolicy(nil), cache: String? = nil,
        allowUnsigned: Bool = false
    ) -> BundlePoller {
        BundlePoller(
            source: source, settings: TestBundles.settings(cache: cache, allowUnsigned: allowUnsigned),
            active: active, metrics: metrics
        ) { [reports] line in reports.add(line) }
    }

    @Test func aNewBundleIsTakenAndThenAskedForByItsEntityTag() async throws {
        let source = ScriptedBundleSource([
            .bundle(TestBundles.bundle("r1"), etag: #""e1""#), .notModified,
            .bundle(TestBundles.bundle("r2", minutes: 1), etag: #""e2""#),
            .bundle(TestBundles.bundle("r2", minutes: 1), etag: #""e2-again""#),
        ])
        let active = ActivePolicy(nil, metrics: metrics)
        let poller = poller(source, active: active)
        #expect(await poller.poll() == .activated("r1"))
        #expect(active.loaded?.revision == "r1")
        #expect(active.loaded?.builtAt == TestBundles.start)
        #expect(await poller.poll() == .unchanged)
        #expect(await poller.poll() == .activated("r2"))
        #expect(await poller.poll() == .unchanged)  // the same build under another tag
        #expect(source.versions.map(\.etag) == [nil, #""e1""#, #""e1""#, #""e2""#])
        #expect(poller.status.etag == #""e2-again""#)
        #expect(active.loaded?.revision == "r2")
        let exposition = metrics.render()
        for line in [
            #"gatehouse_bundle_polls_total{policy="active",result="updated"} 2"#,
            #"gatehouse_bundle_polls_total{policy="active",result="not-modified"} 2"#,
            #"gatehouse_policy_info{revision="r2"} 1"#, #"gatehouse_policy_info{revision="r1"} 0"#,
        ] {
            #expect(exposition.contains(line), "\(line)")
        }
        #expect(
            reports.lines == [
                "active bundle: revision r1 (built 2027-01-15T08:00:00Z) in force\n",
                "active bundle: revision r2 (built 2027-01-15T08:01:00Z) in force\n",
            ])
    }

    /// Every way a bundle or its server can fail keeps the policy in force, and says why.
    @Test(arguments: [
        (
            BundleFetch.bundle(TestBundles.bundle("r2", minutes: 1, signed: false), etag: nil), "unsigned",
            "the bundle is not signed"
        ),
        (
            .bundle(
                try! PolicyBundle.open(TestBundles.bundle("r2", minutes: 1, signed: false)).signed(
                    with: BundleSigningKey(pem: Curve25519.Signing.PrivateKey().pemRepresentation)), etag: nil),
            "bad-signature", "the bundle's signature does not verify: no signature verifies with the given keys"
        ),
        (
            .bundle(TestBundles.bundle("r0", minutes: -1), etag: nil), "older-build",
            "the bundle was built before the one in force: built 2027-01-15T07:59:00Z, not after"
                + " 2027-01-15T08:00:00Z (revision r1); a rollback is a new build of the old policy"
        ),
        (
            .bundle(TestBundles.bundle("r1b", minutes: 0, policy: TestBundles.policy("r1b")), etag: nil),
            "older-build",
            "the bundle was built before the one in force: built 2027-01-15T08:00:00Z, not after"
                + " 2027-01-15T08:00:00Z (revision r1); a rollback is a new build of the old policy"
        ),
        (
            .bundle(TestBundles.bundle("r2", minutes: 1) + [1] + Array(repeating: 0, count: 511), etag: nil),
            "unsafe-archive", "the bundle is not a safe archive: the bundle has data after the end of the archive"
        ),
        (.failed(reason: "not-found", message: "no bundle (404)"), "not-found", "no bundle (404)"),
        (.failed(reason: "server-error", message: "failed (503)"), "server-error", "failed (503)"),
        (.failed(reason: "unreachable", message: "connection refused"), "unreachable", "connection refused"),
    ])
    func aRefusalKeepsThePolicyInForce(_ fetch: BundleFetch, _ reason: String, _ message: String) async {
        let source = ScriptedBundleSource([.bundle(TestBundles.bundle("r1"), etag: #""e1""#), fetch])
        let active = ActivePolicy(nil)
        let poller = poller(source, active: active)
        #expect(await poller.poll() == .activated("r1"))
        #expect(await poller.poll() == .refused(reason))
        #expect(active.loaded?.revision == "r1")
        let status = poller.status
        #expect(status.refusals == 1)
        #expect(status.lastRefusal?.reason == reason)
        #expect(status.lastRefusal?.message == message)
        #expect(status.etag == #""e1""#)
        #expect(metrics.render().contains(#"gatehouse_bundle_refusals_total{policy="active",reason="\#(reason)"} 1"#))
        #expect(reports.lines.last == "active bundle refused (\(reason)): \(message); keeping revision r1\n")
    }

    @Test func aPolicyThatDoesNotCheckIsRefusedWithItsFirstError() async throws {
        // The builder refuses such a policy, so this bundle is made by hand: a signed manifest
        // over a policy with a rule id given twice.
        let broken = TestBundles.policy("r2", extra: "  - id: r2\n    match: { path: /x }\n    allow: anyone\n")
        let manifest = BundleManifest(
            version: 1, revision: "r2", builtAt: "2027-01-15T08:01:00Z", policy: "app.yaml",
            files: ["app.yaml": PolicyRevision.hex(SHA256.hash(data: Array(broken.utf8)))])
        let archive = TarArchive(members: [
            TarArchive.Member(name: BundleManifest.name, bytes: manifest.encoded),
            TarArchive.Member(name: "app.yaml", bytes: Array(broken.utf8)),
        ])
        let signed = try PolicyBundle.open(archive.bytes(modified: 0))
            .signed(with: BundleSigningKey(pem: TestBundles.key.pemRepresentation))
        let active = ActivePolicy(nil)
        let poller = poller(
            ScriptedBundleSource([.bundle(TestBundles.bundle("r1"), etag: nil), .bundle(signed, etag: nil)]),
            active: active)
        #expect(await poller.poll() == .activated("r1"))
        #expect(await poller.poll() == .refused("policy-invalid"))
        #expect(active.loaded?.revision == "r1")
        #expect(
            poller.status.lastRefusal?.message
                == "the bundle's policy cannot be used: http://bundles.test/app.tar!/app.yaml:12:9:"
                + " rule id `r2` is used twice [check.duplicate-rule-id]")
    }

    @Test func unsignedBundlesAreTakenOnlyWhenAllowed() async {
        let unsigned = TestBundles.bundle("r1", signed: false)
        let strict = poller(ScriptedBundleSource([.bundle(unsigned, etag: nil)]))
        #expect(await strict.poll() == .refused("unsigned"))
        let lax = poller(ScriptedBundleSource([.bundle(unsigned, etag: nil)]), allowUnsigned: true)
        #expect(await lax.poll() == .activated("r1"))
        #expect(lax.status.unsignedAllowed == true)
        #expect(strict.status.unsignedAllowed == nil)
    }

    @Test func theLastGoodBundleIsCachedAndStartedFrom() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-cache-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let first = poller(ScriptedBundleSource([.bundle(TestBundles.bundle("r1"), etag: #""e1""#)]), cache: cache)
        #expect(await first.start())
        let saved = try #require(FileManager.default.contents(atPath: cache + "/bundle.tar"))
        #expect(Array(saved) == TestBundles.bundle("r1"))

        // The bundle server is down: the next replica starts from the cache, and says so.
        let active = ActivePolicy(nil)
        let second = poller(ScriptedBundleSource([]), active: active, cache: cache)
        #expect(await second.start())
        #expect(active.loaded?.revision == "r1")
        #expect(active.loaded?.file == cache + "/bundle.tar!/app.yaml")
        #expect(second.status.from == "cache")
        #expect(second.status.etag == nil)
        #expect(reports.lines.last == "active bundle: started from the cache \(cache)/bundle.tar (revision r1)\n")

        // A cache that was tampered with is checked like any bundle, and refused.
        var tampered = Array(saved)
        tampered[600] ^= 1
        try Data(tampered).write(to: URL(fileURLWithPath: cache + "/bundle.tar"))
        let empty = ActivePolicy(nil)
        let third = poller(ScriptedBundleSource([]), active: empty, cache: cache)
        #expect(await third.start() == false)
        #expect(empty.loaded == nil)
        #expect(third.status.lastRefusal?.reason == "files-mismatch")
    }

    @Test func aServerWithoutAPolicyRefusesEveryCheck() async throws {
        let active = ActivePolicy(nil)
        let poller = poller(ScriptedBundleSource([]), active: active)
        #expect(await poller.start() == false)
        let setup = ServerSetup(policy: active, metrics: metrics, bundle: poller)
        let readiness = await DecisionServer.readiness(setup)
        #expect(readiness.status == "not ready")
        #expect(readiness.reason == "no policy is in force yet")
        #expect(readiness.bundle?.lastRefusal?.reason == "unreachable")
        let decisions = Decisions(policy: active, ledger: setup.ledger, clock: { Date() })
        let checks: [(GatewayConvention, CheckRequest, Int)] = [
            (
                .nginx,
                CheckRequest(
                    method: "GET", target: "/v1/auth/nginx", authority: nil,
                    headers: [("X-Original-URI", "/r1/x"), ("X-Original-Method", "GET")]), 403
            ),
            (.envoy, CheckRequest(method: "GET", target: "/v1/auth/envoy/r1/x", authority: nil, headers: []), 503),
            (
                .forward,
                CheckRequest(
                    method: "GET", target: "/v1/auth/forward", authority: nil,
                    headers: [("X-Forwarded-Uri", "/r1/x"), ("X-Forwarded-Method", "GET")]), 503
            ),
        ]
        for (convention, check, status) in checks {
            let answer = await decisions.answer(check, convention)
            #expect(answer.decision.code == .policyUnavailable)
            #expect(answer.decision.status == 503)
            #expect(answer.status == status, "\(convention)")  // nginx takes only 401 and 403
            #expect(!answer.headers.contains { $0.name == GatewayAnswer.revisionHeader })
        }
    }
}

struct PollScheduleTests {
    let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(30))!

    @Test func aGoodPollWaitsBetweenTheBoundsAtRandom() {
        var generator = SystemRandomNumberGenerator()
        let waits = (0..<2000).map { _ in schedule.wait(afterFailures: 0, using: &generator) }
        #expect(waits.allSatisfy { $0 >= .seconds(1) && $0 <= .seconds(30) })
        #expect(Set(waits).count > 1000)  // spread, not one value
        #expect(waits.contains { $0 < .seconds(8) } && waits.contains { $0 > .seconds(23) })
    }

    @Test func failuresBackOffUpToTheMaximum() {
        var generator = SystemRandomNumberGenerator()
        let expected: [(Int, Duration, Duration)] = [
            (1, .seconds(1), .seconds(1)), (2, .seconds(1), .seconds(2)), (3, .seconds(2), .seconds(4)),
            (4, .seconds(4), .seconds(8)), (5, .seconds(8), .seconds(16)), (6, .seconds(15), .seconds(30)),
            (7, .seconds(15), .seconds(30)), (100, .seconds(15), .seconds(30)),
        ]
        for (failures, low, high) in expected {
            let waits = (0..<500).map { _ in schedule.wait(afterFailures: failures, using: &generator) }
            #expect(waits.allSatisfy { $0 >= low && $0 <= high }, "after \(failures) failures")
            #expect(waits.min()! < low + (high - low) / 4 || low == high, "after \(failures) failures")
            #expect(waits.max()! > high - (high - low) / 4 || low == high, "after \(failures) failures")
        }
    }

    @Test func boundsMustBeOrderedAndPositive() {
        #expect(PollSchedule(minimum: .zero, maximum: .seconds(1)) == nil)
        #expect(PollSchedule(minimum: .seconds(2), maximum: .seconds(1)) == nil)
        #expect(PollSchedule(minimum: .seconds(1), maximum: .seconds(1)) != nil)
    }
}
