/// What `serve` decides with: the policy in force, where it comes from when a bundle server
/// feeds it, the candidate of a shadow rollout (and its bundle server), the decision log and the
/// metrics, and the drain that SIGTERM begins.
public struct ServerSetup: Sendable {
    public let policy: ActivePolicy
    public var log: DecisionLog?
    public var metrics: ServerMetrics
    /// The bundle server keeping ``policy`` in force, if any.
    public var bundle: BundlePoller?
    /// The candidate every request is decided under too, never enforced.
    public var shadow: ActivePolicy?
    /// The bundle server keeping ``shadow`` in force, if any.
    public var shadowBundle: BundlePoller?
    /// Begun by SIGTERM: `/readyz` says so.
    public var drain: Drain

    public init(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(),
        bundle: BundlePoller? = nil, shadow: ActivePolicy? = nil, shadowBundle: BundlePoller? = nil,
        drain: Drain = Drain(period: .zero)
    ) {
        self.policy = policy
        self.log = log
        self.metrics = metrics
        self.bundle = bundle
        self.shadow = shadow
        self.shadowBundle = shadowBundle
        self.drain = drain
    }

    /// Whether unsigned bundles are taken (said on every log line and in `/readyz`).
    var unsignedBundles: Bool {
        bundle?.settings.allowUnsigned == true || shadowBundle?.settings.allowUnsigned == true
    }

    /// The one ledger every answer goes through.
    var ledger: Ledger {
        Ledger(
            log: log, metrics: metrics, shadow: shadow.map { Shadow(policy: $0, metrics: metrics) },
            unsignedBundles: unsignedBundles)
    }
}
