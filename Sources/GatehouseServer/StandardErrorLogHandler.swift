import Foundation
import Logging

/// Hummingbird's own log messages, on standard error. swift-log's `StreamLogHandler` renders all
/// of its metadata again whenever one key is set, and Hummingbird sets a request id on every
/// request; this handler keeps the metadata as it is and renders it only for a message.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .notice

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        FileHandle.standardError.write(Data("\(label): \(event.level): \(event.message)\(rendered)\n".utf8))
    }
}
