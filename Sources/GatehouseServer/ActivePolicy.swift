import Foundation
import Gatehouse
import GatehouseIdentity
import Synchronization

#if os(Linux)
    /// glibc's `malloc_trim` (malloc.h, which the Glibc module does not export).
    @_silgen_name("malloc_trim")
    private func mallocTrim(_ pad: Int) -> Int32
#endif

/// The policy the server decides with, swapped whole on reload so every decision uses exactly one.
public final class ActivePolicy: Sendable {
    /// One loaded policy and what decides with it. A class, so that reading the policy in force
    /// for a decision retains one object, not each of its parts.
    public final class Loaded: Sendable {
        public let evaluator: Evaluator
        public let verifier: TokenVerifier
        /// SHA-256 of the policy file's bytes.
        public let sha256: String
        public let file: String

        init(evaluator: Evaluator, verifier: TokenVerifier, sha256: String, file: String) {
            self.evaluator = evaluator
            self.verifier = verifier
            self.sha256 = sha256
            self.file = file
        }
    }

    private let current: Mutex<Loaded>

    /// Starts with `loaded`.
    public init(_ loaded: Loaded) { current = Mutex(loaded) }

    /// The policy now in force.
    public var loaded: Loaded { current.withLock { $0 } }

    /// Replaces the policy.
    public func replace(with loaded: Loaded) { current.withLock { $0 = loaded } }

    /// Reads, checks and compiles `source`; the diagnostics when it has errors.
    public static func load(
        _ source: SourceFile, fetcher: any HTTPFetching = NetworkFetcher(), events: VerificationEvents = .none
    ) -> Result<Loaded, DiagnosticList> {
        let loaded = compile(source, fetcher: fetcher, events: events)
        // Reading a policy builds a YAML tree and checking tables many times the compiled policy's
        // size; glibc keeps what they freed unless asked (about 20 MiB for 10,000 rules).
        #if os(Linux)
            _ = mallocTrim(0)
        #endif
        return loaded
    }

    private static func compile(_ source: SourceFile, fetcher: any HTTPFetching, events: VerificationEvents)
        -> Result<Loaded, DiagnosticList>
    {
        let result = PolicyChecker.check(source)
        guard let policy = result.policy else { return .failure(DiagnosticList(result.diagnostics)) }
        let digest = Digest.sha256Hex(source.text)
        return .success(
            Loaded(
                evaluator: Evaluator(policy: PolicyCompiler.compile(policy)),
                verifier: TokenVerifier.online(for: policy, fetcher: fetcher, events: events), sha256: digest,
                file: source.name))
    }
}
