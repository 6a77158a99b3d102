import Foundation
import Gatehouse
import GatehouseIdentity
import Synchronization

/// Reloads the policy file off the request path: a new file is read, checked and compiled, and
/// swapped in whole; a broken file keeps the running policy, its diagnostics are reported, and
/// the failure is counted.
public final class PolicyReloader: Sendable {
    /// Counts of reloads, for `/metrics` and tests.
    public struct Counts: Sendable, Equatable {
        public var succeeded = 0
        public var failed = 0
    }

    let path: String
    let active: ActivePolicy
    let report: @Sendable (String) -> Void
    let metrics: ServerMetrics?
    private let counts = Mutex(Counts())
    /// Held for a whole reload, so a SIGHUP and the watcher seeing the same change load it once.
    private let serial = Mutex(())

    /// - Parameters:
    ///   - path: the policy file.
    ///   - active: the policy being served.
    ///   - report: where to write what happened (stderr in `gatehouse serve`).
    ///   - metrics: where reloads are counted for `/metrics`.
    public init(
        path: String, active: ActivePolicy, metrics: ServerMetrics? = nil, report: @escaping @Sendable (String) -> Void
    ) {
        self.path = path
        self.active = active
        self.metrics = metrics
        self.report = report
    }

    /// The reload counts so far.
    public var current: Counts { counts.withLock { $0 } }

    /// Reads the file again; returns whether the served policy changed.
    @discardableResult
    public func reload() -> Bool {
        serial.withLock { _ in reloadAlone() }
    }

    private func reloadAlone() -> Bool {
        let source: SourceFile
        do {
            source = try SourceFile.read(path)
        } catch {
            counts.withLock { $0.failed += 1 }
            metrics?.reloaded(succeeded: false)
            report("reload failed, keeping the running policy: \(error)\n")
            return false
        }
        switch ActivePolicy.load(source, events: metrics?.events ?? .none) {
        case .failure(let list):
            counts.withLock { $0.failed += 1 }
            metrics?.reloaded(succeeded: false)
            report(DiagnosticRenderer(sources: [source]).render(list.diagnostics, as: .text))
            report("reload failed, keeping the running policy (sha256 \(active.loaded.sha256.prefix(12)))\n")
            return false
        case .success(let loaded):
            guard loaded.sha256 != active.loaded.sha256 else { return false }
            active.replace(with: loaded)
            counts.withLock { $0.succeeded += 1 }
            metrics?.reloaded(succeeded: true)
            report("reloaded \(path) (sha256 \(loaded.sha256.prefix(12)))\n")
            return true
        }
    }

    /// Reloads whenever the file's contents change, checking every `interval`, until cancelled.
    public func watch(every interval: Duration = .seconds(1)) async {
        var last = FileManager.default.contents(atPath: path)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = FileManager.default.contents(atPath: path)
            if now != last {
                last = now
                reload()
            }
        }
    }
}
