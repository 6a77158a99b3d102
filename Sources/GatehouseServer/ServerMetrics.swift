import CoreMetrics
import Foundation
import Gatehouse
import GatehouseIdentity
import Prometheus

/// The server's metrics through swift-metrics, kept in one Prometheus registry and served as text
/// at `/metrics`: decisions by result, code, rule and gateway; decision latency; policy reloads;
/// cache hits and key-set fetches.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

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
        Counter(
            label: "gatehouse_decisions_total",
            dimensions: [
                ("result", decision.decision.rawValue), ("code", decision.code), ("rule", decision.rule ?? ""),
                ("gateway", gateway),
            ], factory: factory
        ).increment()
        Timer(label: "gatehouse_decision_duration_seconds", dimensions: [("gateway", gateway)], factory: factory)
            .recordNanoseconds(
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Verification's events as counters: `gatehouse_cache_hits_total{cache}` and
    /// `gatehouse_jwks_fetches_total{provider,result}`.
    public var events: VerificationEvents {
        let factory = self.factory
        return VerificationEvents(
            cacheHit: { cache in
                Counter(label: "gatehouse_cache_hits_total", dimensions: [("cache", cache)], factory: factory)
                    .increment()
            },
            keysFetched: { provider, succeeded in
                Counter(
                    label: "gatehouse_jwks_fetches_total",
                    dimensions: [("provider", provider), ("result", succeeded ? "ok" : "failed")], factory: factory
                ).increment()
            })
    }

    /// Counts a policy reload.
    public func reloaded(succeeded: Bool) {
        Counter(
            label: "gatehouse_policy_reloads_total", dimensions: [("result", succeeded ? "ok" : "failed")],
            factory: factory
        )
        .increment()
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
