import Foundation
import Gatehouse
import GatehouseBundle
import GatehouseIdentity
import Synchronization

#if os(Linux)
    import CMalloc
#endif

/// The policy the server decides with, swapped whole on reload so every decision uses exactly one.
/// A server fed by a bundle server starts with none: until a first policy is active, every check
/// is refused (fail closed).
public final class ActivePolicy: Sendable {
    /// One loaded policy and what decides with it. A class, so that reading the policy in force
    /// for a decision retains one object, not each of its parts.
    public final class Loaded: Sendable {
        public let evaluator: Evaluator
        public let verifier: TokenVerifier
        /// SHA-256 of the policy file's bytes.
        public let sha256: String
        /// The first 12 hex digits of ``sha256``: how decision logs name the policy.
        public let shortSHA256: String
        /// SHA-256 over the policy and every file it names: whether a reload changes anything.
        let contentSHA256: String
        /// The policy file and the files it names, as given: what `--watch` watches.
        public let files: [String]
        /// What the policy is: its bundle's revision, or a digest of its files
        /// (``PolicyRevision``). Every answer and log line names it.
        public let revision: String
        /// When its bundle was built; nil for a policy read from files.
        public let builtAt: Date?
        /// What signs the assertion on every allow, when the policy has `assertion:`.
        package let signer: AssertionSigner?

        init(
            evaluator: Evaluator, verifier: TokenVerifier, sources: [SourceFile], revision: String?, builtAt: Date?,
            signer: AssertionSigner?
        ) {
            self.evaluator = evaluator
            self.verifier = verifier
            self.signer = signer
            sha256 = Digest.sha256Hex(sources.first?.text ?? "")
            shortSHA256 = String(sha256.prefix(12))
            // A new assertion key is a change too, though no policy byte moved.
            let keys = signer?.jwks ?? ""
            contentSHA256 = Digest.sha256Hex(
                (sources.map { "\($0.name)\u{0}\($0.text)" } + [keys]).joined(separator: "\u{0}"))
            files = sources.map(\.name) + (signer?.paths ?? [])
            self.revision = revision ?? PolicyRevision.of(sources)
            self.builtAt = builtAt
        }

        /// The policy file.
        public var file: String { files.first ?? "" }

        /// The assertion header for `decision`, answered under `id` through `door` at `now`: on
        /// allow through a gateway's door when the policy signs assertions, else nil.
        func assertion(for decision: Decision, id: String, door: Door, now: Date) -> (name: String, value: String)? {
            guard decision.isAllowed, door.convention != nil, let signer else { return nil }
            return (signer.settings.header, signAssertion(for: decision, id: id, now: now))
        }

        /// The assertion `decision` carries under this policy (empty without a caller or a signer).
        package func signAssertion(for decision: Decision, id: String, now: Date) -> String {
            signer?.assertion(for: decision, id: id, revision: revision, now: now) ?? ""
        }
    }

    private let current: Mutex<Loaded?>
    /// Where the revision in force is published (`gatehouse_policy_info`, or
    /// `gatehouse_shadow_policy_info` for a candidate).
    private let metrics: ServerMetrics?
    /// Whether this is the candidate policy of a shadow rollout.
    let isShadow: Bool

    /// Starts with `loaded`, or with none (every check refused until one is active); `metrics`
    /// is told the revision in force, the candidate's when `shadow`.
    public init(_ loaded: Loaded?, metrics: ServerMetrics? = nil, shadow: Bool = false) {
        current = Mutex(loaded)
        self.metrics = metrics
        isShadow = shadow
        if let loaded { metrics?.revision(loaded.revision, shadow: shadow) }
    }

    /// The policy now in force, if any.
    public var loaded: Loaded? { current.withLock { $0 } }

    /// Replaces the policy.
    public func replace(with loaded: Loaded) {
        current.withLock { $0 = loaded }
        metrics?.revision(loaded.revision, shadow: isShadow)
    }

    /// Loads the policy at `path` through `files` (``PolicyLoader``), with a verifier that asks the
    /// providers through `fetcher`. Assertion keys are read from this machine's disk, a relative
    /// path from the policy file's folder; a bundle's policy (`fromBundle`) must name them by
    /// absolute path, since a bundle carries no private key.
    public static func load(
        _ path: String, files: any FileAccess, revision: String? = nil, builtAt: Date? = nil,
        fetcher: any HTTPFetching = NetworkFetcher(), events: VerificationEvents = .none, fromBundle: Bool = false
    ) -> Result<Loaded, UnusablePolicy> {
        prepared(
            PolicyLoader.load(path, files: files), revision: revision, builtAt: builtAt, fetcher: fetcher,
            events: events, keyFolder: fromBundle ? nil : URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Loads the policy text `source` (a policy that names no other file, unless `files` has it).
    public static func load(
        _ source: SourceFile, files: any FileAccess = InMemoryFiles([:]), fetcher: any HTTPFetching = NetworkFetcher(),
        events: VerificationEvents = .none
    ) -> Result<Loaded, UnusablePolicy> {
        prepared(
            PolicyLoader.load(source, files: files), revision: nil, builtAt: nil, fetcher: fetcher, events: events,
            keyFolder: FileManager.default.currentDirectoryPath)
    }

    private static func prepared(
        _ loaded: LoadedPolicy, revision: String?, builtAt: Date?, fetcher: any HTTPFetching,
        events: VerificationEvents, keyFolder: String?
    ) -> Result<Loaded, UnusablePolicy> {
        let result = loaded.usable().flatMap { compiled -> Result<Loaded, UnusablePolicy> in
            var signer: AssertionSigner?
            if let settings = compiled.policy.assertion {
                switch AssertionSigner.load(settings, folder: keyFolder) {
                case .success(let loaded): signer = loaded
                case .failure(let problem): return .failure(loaded.unusable(because: [problem.diagnostic]))
                }
            }
            return .success(
                Loaded(
                    evaluator: Evaluator(policy: compiled),
                    verifier: TokenVerifier.online(for: compiled.policy, fetcher: fetcher, events: events),
                    sources: loaded.sources, revision: revision, builtAt: builtAt, signer: signer))
        }
        // Reading a policy builds a YAML tree and checking tables many times the compiled policy's
        // size; glibc keeps what they freed unless asked (about 20 MiB for 10,000 rules).
        #if os(Linux)
            _ = malloc_trim(0)
        #endif
        return result
    }
}
