import Foundation
import Gatehouse
import GatehouseIdentity
import Synchronization

/// Reloads the policy off the request path: the policy and the files it names are read, checked
/// and compiled, and swapped in whole; a broken file keeps the running policy, its diagnostics
/// are reported, and the failure is counted.
public final class PolicyReloader: Sendable {
    /// Counts of reloads, for `/metrics` and tests.
    public struct Counts: Sendable, Equatable {
        public var succeeded = 0
        public var failed = 0
    }

    let path: String
    let files: any FileAccess
    let active: ActivePolicy
    let report: @Sendable (String) -> Void
    let metrics: ServerMetrics?
    private let counts = Mutex(Counts())
    /// Held for a whole reload, so a SIGHUP and the watcher seeing the same change load it once.
    private let serial = Mutex(())

    /// - Parameters:
    ///   - path: the policy file.
    ///   - files: where the policy and the files it names are read from.
    ///   - active: the policy being served.
    ///   - report: where to write what happened (stderr in `gatehouse serve`).
    ///   - metrics: where reloads are counted for `/metrics`.
    public init(
        path: String, files: any FileAccess = LocalFiles(), active: ActivePolicy, metrics: ServerMetrics? = nil,
        report: @escaping @Sendable (String) -> Void
    ) {
        self.path = path
        self.files = files
        self.active = active
        self.metrics = metrics
        self.report = report
    }

    /// The reload counts so far.
    public var current: Counts { counts.withLock { $0 } }

    /// Reads the policy again; returns whether the served policy changed.
    @discardableResult
    public func reload() -> Bool {
        serial.withLock { _ in reloadAlone() }
    }

    private func reloadAlone() -> Bool {
        switch ActivePolicy.load(path, files: files, events: metrics?.events ?? .none) {
        case .failure(let unusable):
            counts.withLock { $0.failed += 1 }
            metrics?.reloaded(succeeded: false)
            report(unusable.description)
            report("reload failed, keeping the running policy (revision \(active.loaded?.revision ?? "none"))\n")
            return false
        case .success(let loaded):
            guard loaded.contentSHA256 != active.loaded?.contentSHA256 else { return false }
            active.replace(with: loaded)
            counts.withLock { $0.succeeded += 1 }
            metrics?.reloaded(succeeded: true)
            report("reloaded \(path) (revision \(loaded.revision), sha256 \(loaded.shortSHA256))\n")
            return true
        }
    }

    /// Reloads whenever the policy or a file it names changes, checking every `interval`, until
    /// cancelled.
    public func watch(every interval: Duration = .seconds(1)) async {
        var last = snapshot()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = snapshot()
            if now != last {
                last = now
                reload()
            }
        }
    }

    /// The contents of every watched file (the files of the policy in force, and the policy file).
    private func snapshot() -> [Data?] {
        ([path] + (active.loaded?.files.dropFirst() ?? [])).map { FileManager.default.contents(atPath: $0) }
    }
}
