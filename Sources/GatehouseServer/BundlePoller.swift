import Foundation
import Gatehouse
import GatehouseBundle
import GatehouseIdentity
import Synchronization

/// Keeps a policy in force from a bundle server: polls it (``BundleSource``), and activates a
/// bundle only when it opens as a safe archive whose files are its manifest's, is signed by one of
/// the keys (unless unsigned bundles are allowed), was built after the one in force, and holds a
/// policy that checks. Anything else (and a 404, a 5xx, a network error) keeps the running
/// policy; the refusal is reported, counted and kept for `/readyz`. The last good bundle is saved
/// in the cache directory and used at start when the server cannot give a good one.
public final class BundlePoller: Sendable {
    /// How bundles are checked, when they are asked for, and where the last good one is kept.
    public struct Settings: Sendable {
        /// The keys a bundle's signature must verify under.
        public var keys: [BundlePublicKey]
        /// Take bundles without checking a signature (only when no key is given).
        public var allowUnsigned: Bool
        /// The wait between polls is random between these.
        public var schedule: PollSchedule
        /// The directory the last good bundle is kept in.
        public var cache: String?

        public init(keys: [BundlePublicKey], allowUnsigned: Bool, schedule: PollSchedule, cache: String?) {
            self.keys = keys
            self.allowUnsigned = allowUnsigned
            self.schedule = schedule
            self.cache = cache
        }
    }

    /// What one poll did.
    enum Outcome: Sendable, Equatable {
        /// A new bundle is in force, with this revision.
        case activated(String)
        /// Nothing new (`304`, or the same build again).
        case unchanged
        /// No bundle was taken, for this reason.
        case refused(String)
    }

    let source: any BundleSource
    let settings: Settings
    let active: ActivePolicy
    let metrics: ServerMetrics
    let fetcher: any HTTPFetching
    let report: @Sendable (String) -> Void
    let clock: @Sendable () -> Date
    private let state: Mutex<State>

    /// What the poller knows: the version and manifest of the bundle in force, where it came
    /// from, and the polls and refusals so far.
    private struct State {
        var version = BundleVersion.none
        var manifest: BundleManifest?
        var origin: String?
        var lastPoll: Date?
        var lastActivated: Date?
        var refusals = 0
        var lastRefusal: BundleStatus.Refusal?
    }

    /// Polls `url` (with `token` as a bearer token, when given) for `active`.
    public convenience init(
        url: String, token: String?, settings: Settings, active: ActivePolicy, metrics: ServerMetrics,
        fetcher: any HTTPFetching = NetworkFetcher(), report: @escaping @Sendable (String) -> Void
    ) {
        self.init(
            source: HTTPBundleSource(url: url, token: token, timeout: .seconds(30)), settings: settings,
            active: active, metrics: metrics, fetcher: fetcher, report: report)
    }

    init(
        source: any BundleSource, settings: Settings, active: ActivePolicy, metrics: ServerMetrics,
        fetcher: any HTTPFetching = NetworkFetcher(), clock: @escaping @Sendable () -> Date = { Date() },
        report: @escaping @Sendable (String) -> Void
    ) {
        self.source = source
        self.settings = settings
        self.active = active
        self.metrics = metrics
        self.fetcher = fetcher
        self.clock = clock
        self.report = report
        state = Mutex(State())
    }

    /// `active` or `shadow`, as metrics and reports name the policy this poller keeps.
    private var role: String { active.isShadow ? "shadow" : "active" }

    /// The first poll; when it gives no good bundle, the cached one. Returns whether a policy is
    /// in force.
    @discardableResult
    public func start() async -> Bool {
        if case .activated = await poll() { return true }
        guard let path = cacheFile, let data = FileManager.default.contents(atPath: path) else {
            return active.loaded != nil
        }
        switch take(Array(data), from: path, version: .none) {
        case .activated(let revision):
            report("\(role) bundle: started from the cache \(path) (revision \(revision))\n")
        case .unchanged: break
        case .refused(let reason):
            report("\(role) bundle: the cache \(path) is not used (\(reason))\n")
        }
        return active.loaded != nil
    }

    /// Polls until cancelled, waiting as ``Settings/schedule`` says after each poll (longer after
    /// consecutive failures).
    public func run() async {
        var generator = SystemRandomNumberGenerator()
        var failures = active.loaded == nil ? 1 : 0
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: settings.schedule.wait(afterFailures: failures, using: &generator))
            } catch { return }
            if case .refused = await poll() { failures += 1 } else { failures = 0 }
        }
    }

    /// Asks the bundle server once.
    func poll() async -> Outcome {
        let current = state.withLock { state in
            state.lastPoll = clock()
            return state.version
        }
        switch await source.fetch(since: current) {
        case .notModified:
            metrics.bundlePolled("not-modified", role: role)
            return .unchanged
        case .failed(let reason, let message):
            return refuse(reason, message)
        case .bundle(let bytes, let version):
            return take(bytes, from: source.location, version: version)
        }
    }

    /// Checks `bytes` (from `location`) and activates them, or refuses them.
    private func take(_ bytes: [UInt8], from location: String, version: BundleVersion) -> Outcome {
        let loaded: ActivePolicy.Loaded?
        let manifest: BundleManifest
        do {
            (manifest, loaded) = try accept(bytes, from: location)
        } catch {
            return refuse(error.reason, error.description)
        }
        guard let loaded else {
            state.withLock { $0.version = version }
            metrics.bundlePolled("not-modified", role: role)
            return .unchanged
        }
        active.replace(with: loaded)
        state.withLock { state in
            state.version = version
            state.manifest = manifest
            state.origin = location == source.location ? "server" : "cache"
            state.lastActivated = clock()
        }
        metrics.bundlePolled("updated", role: role)
        report("\(role) bundle: revision \(manifest.revision) (built \(manifest.builtAt)) in force\n")
        if location == source.location { save(bytes) }
        return .activated(manifest.revision)
    }

    /// The bundle's manifest and its policy, loaded; no policy when it is the build in force.
    private func accept(_ bytes: [UInt8], from location: String) throws(BundleError)
        -> (BundleManifest, ActivePolicy.Loaded?)
    {
        let bundle = try PolicyBundle.open(bytes)
        if !settings.keys.isEmpty || !settings.allowUnsigned { try bundle.verify(with: settings.keys) }
        let manifest = bundle.manifest
        let built = manifest.builtAtDate ?? .distantPast
        if let current = state.withLock({ $0.manifest }), let inForce = current.builtAtDate {
            if manifest == current { return (manifest, nil) }
            guard built > inForce else {
                throw .replayed(
                    "built \(manifest.builtAt), not after \(current.builtAt) (revision \(current.revision));"
                        + " a rollback is a new build of the old policy")
            }
        }
        let loaded = ActivePolicy.load(
            bundle.policyPath(at: location), files: bundle.files(at: location), revision: manifest.revision,
            builtAt: built, fetcher: fetcher, events: metrics.events, fromBundle: true)
        switch loaded {
        case .success(let loaded): return (manifest, loaded)
        case .failure(let unusable):
            report(unusable.description)
            throw .policyInvalid(unusable.summary)
        }
    }

    /// Records a refusal: reported, counted, kept for `/readyz`; the running policy stays.
    private func refuse(_ reason: String, _ message: String) -> Outcome {
        let kept = active.loaded.map { "keeping revision \($0.revision)" } ?? "no policy is in force"
        state.withLock { state in
            state.refusals += 1
            state.lastRefusal = BundleStatus.Refusal(reason: reason, message: message, time: RFC3339.format(clock()))
        }
        metrics.bundlePolled("refused", role: role)
        metrics.bundleRefused(reason, role: role)
        report("\(role) bundle refused (\(reason)): \(message); \(kept)\n")
        return .refused(reason)
    }

    /// Where the last good bundle is kept.
    private var cacheFile: String? {
        settings.cache.map { ($0 as NSString).appendingPathComponent(active.isShadow ? "shadow.tar" : "bundle.tar") }
    }

    /// Keeps `bytes` as the last good bundle: written beside it, then renamed over it, so a crash
    /// never leaves half a bundle.
    private func save(_ bytes: [UInt8]) {
        guard let directory = settings.cache, let path = cacheFile else { return }
        let partial = path + ".partial"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: partial))
            guard rename(partial, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            report("\(role) bundle: the cache \(path) cannot be written (\(error))\n")
        }
    }

    /// What `/readyz` says of the bundle server.
    var status: BundleStatus {
        state.withLock { state in
            BundleStatus(
                url: source.location, etag: state.version.etag, lastModified: state.version.lastModified,
                revision: state.manifest?.revision,
                builtAt: state.manifest?.builtAt, from: state.origin, lastPoll: state.lastPoll.map(RFC3339.format),
                lastActivated: state.lastActivated.map(RFC3339.format), refusals: state.refusals,
                lastRefusal: state.lastRefusal, unsignedAllowed: settings.allowUnsigned ? true : nil)
        }
    }
}

/// `/readyz`'s account of a bundle server: the bundle in force (its version and revision, and
/// whether it came from the server or the cache), the last poll, and the refusals.
struct BundleStatus: Encodable, Sendable {
    let url: String
    let etag: String?
    let lastModified: String?
    let revision: String?
    let builtAt: String?
    /// `server` or `cache`.
    let from: String?
    let lastPoll: String?
    let lastActivated: String?
    let refusals: Int
    let lastRefusal: Refusal?
    let unsignedAllowed: Bool?

    /// A bundle not taken: the class of reason (as in `gatehouse_bundle_refusals_total`), what
    /// was wrong, and when.
    struct Refusal: Encodable, Sendable {
        let reason: String
        let message: String
        let time: String
    }

    enum CodingKeys: String, CodingKey {
        case url, etag, revision, from, refusals
        case builtAt = "built_at"
        case lastPoll = "last_poll"
        case lastActivated = "last_activated"
        case lastModified = "last_modified"
        case lastRefusal = "last_refusal"
        case unsignedAllowed = "unsigned_allowed"
    }
}
