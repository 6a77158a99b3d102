import CoreMetrics
import Foundation
import Gatehouse
import GatehouseIdentity
import Prometheus
import Synchronization

/// The server's metrics through swift-metrics, kept in one Prometheus registry and served as text
/// at `/metrics`: decisions by result, code, rule and gateway; decision latency; policy reloads;
/// cache hits and key-set fetches.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// The metrics made so far: the registry would find them too, but validates and sorts every
    /// name first, on every request. Decisions are keyed without building arrays.
    private let decisionCounters = Mutex<[DecisionKey: CoreMetrics.Counter]>([:])
    private let decisionTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let counters = Mutex<[[String]: CoreMetrics.Counter]>([:])
    /// Cache hits, counted once per cached decision, by cache name.
    private let cacheHits = Mutex<[String: CoreMetrics.Counter]>([:])
    private let gauges = Mutex<[[String]: CoreMetrics.Gauge]>([:])
    /// The revision each info gauge names now.
    private let revisions = Mutex<[String: String]>([:])

    private struct DecisionKey: Hashable, Sendable {
        let result: String
        let code: String
        let rule: String
        let gateway: String
    }

    /// Latency buckets, from 10 µs to 1 s: cached decisions sit at the bottom, provider calls at the top.
    static let buckets: [Duration] = [
        .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
        .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
    ]

    /// Creates an empty registry.
    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["gatehouse_decision_duration_seconds"] = Self.buckets
        self.factory = factory
    }

    /// Counts a decision and records how long it took.
    func decided(_ decision: Decision, gateway: String, duration: Duration) {
        let key = DecisionKey(
            result: decision.outcome.rawValue, code: decision.code.rawValue, rule: decision.rule ?? "", gateway: gateway
        )
        Self.made(key, in: decisionCounters) {
            Counter(
                label: "gatehouse_decisions_total",
                dimensions: [("result", key.result), ("code", key.code), ("rule", key.rule), ("gateway", gateway)],
                factory: factory)
        }
        .increment()
        Self.made(gateway, in: decisionTimers) {
            Timer(label: "gatehouse_decision_duration_seconds", dimensions: [("gateway", gateway)], factory: factory)
        }
        .recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Verification's events as counters: `gatehouse_cache_hits_total{cache}` and
    /// `gatehouse_jwks_fetches_total{provider,result}`.
    public var events: VerificationEvents {
        VerificationEvents(
            cacheHit: { cache in
                Self.made(cache, in: self.cacheHits) {
                    Counter(label: "gatehouse_cache_hits_total", dimensions: [("cache", cache)], factory: self.factory)
                }
                .increment()
            },
            keysFetched: { provider, succeeded in
                self.counter(
                    "gatehouse_jwks_fetches_total", [("provider", provider), ("result", succeeded ? "ok" : "failed")]
                ).increment()
            })
    }

    /// Counts a policy reload.
    public func reloaded(succeeded: Bool) {
        counter("gatehouse_policy_reloads_total", [("result", succeeded ? "ok" : "failed")]).increment()
    }

    /// Counts a reload of the TLS certificate and key.
    func tlsReloaded(succeeded: Bool) {
        counter("gatehouse_tls_reloads_total", [("result", succeeded ? "ok" : "failed")]).increment()
    }

    /// Counts a connection whose TLS handshake was refused.
    func tlsRefused() {
        counter("gatehouse_tls_handshake_failures_total", []).increment()
    }

    /// `gatehouse_tls_certificate_expiry_seconds`: when the certificate being served expires.
    func certificateLoaded(notAfter: Int) {
        gauge("gatehouse_tls_certificate_expiry_seconds", []).record(notAfter)
    }

    /// `gatehouse_draining`: 1 from SIGTERM on, while the server drains.
    func draining() {
        gauge("gatehouse_draining", []).record(1)
    }

    /// `gatehouse_policy_info{revision}` (1 for the revision in force, 0 for those before it), or
    /// `gatehouse_shadow_policy_info` for the candidate.
    func revision(_ revision: String, shadow: Bool = false) {
        let label = shadow ? "gatehouse_shadow_policy_info" : "gatehouse_policy_info"
        let previous = revisions.withLock { revisions in
            defer { revisions[label] = revision }
            return revisions[label]
        }
        if let previous, previous != revision { gauge(label, [("revision", previous)]).record(0) }
        gauge(label, [("revision", revision)]).record(1)
    }

    /// Counts a poll of the bundle server of the `active` or the `shadow` policy: `updated`,
    /// `not-modified`, or `refused`.
    func bundlePolled(_ result: String, role: String) {
        counter("gatehouse_bundle_polls_total", [("policy", role), ("result", result)]).increment()
    }

    /// Counts a bundle refused (or a bundle server that could not give one), by reason.
    func bundleRefused(_ reason: String, role: String) {
        counter("gatehouse_bundle_refusals_total", [("policy", role), ("reason", reason)]).increment()
    }

    /// Counts a request decided under the shadow policy; a disagreement also by the active and the
    /// candidate rule and outcome.
    func shadowed(active: Decision, candidate: Decision, agrees: Bool) {
        counter("gatehouse_shadow_decisions_total", [("result", agrees ? "agree" : "disagree")]).increment()
        guard !agrees else { return }
        counter(
            "gatehouse_shadow_disagreements_total",
            [
                ("active_rule", active.rule ?? ""), ("candidate_rule", candidate.rule ?? ""),
                ("active", active.outcome.rawValue), ("candidate", candidate.outcome.rawValue),
            ]
        ).increment()
    }

    /// Counts a request the shadow policy did not decide (too many of its verifications in flight).
    func shadowSkipped() {
        counter("gatehouse_shadow_skipped_total", []).increment()
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        Self.made([label] + dimensions.flatMap { [$0.0, $0.1] }, in: gauges) {
            Gauge(label: label, dimensions: dimensions, factory: factory)
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        Self.made([label] + dimensions.flatMap { [$0.0, $0.1] }, in: counters) {
            Counter(label: label, dimensions: dimensions, factory: factory)
        }
    }

    /// The metric kept under `key`, made by `make` the first time.
    private static func made<Key: Hashable & Sendable, Metric: Sendable>(
        _ key: Key, in cache: borrowing Mutex<[Key: Metric]>, make: () -> Metric
    ) -> Metric {
        if let metric = cache.withLock({ $0[key] }) { return metric }
        let metric = make()
        cache.withLock { $0[key] = metric }
        return metric
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
