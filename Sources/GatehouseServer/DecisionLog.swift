import Foundation
import Gatehouse
import Synchronization

/// One JSON line per gateway decision: when, which decision, what was asked, what was decided,
/// for whom, and how long it took. A token appears only as the first 12 hex digits of its SHA-256.
public final class DecisionLog: Sendable {
    struct Entry: Encodable {
        let time: String
        let decisionID: String
        let gateway: String
        let method: String
        let path: String?
        let rule: String?
        let code: String
        let status: Int
        let username: String?
        let provider: String?
        let token: String?
        let latencyMicroseconds: Int

        enum CodingKeys: String, CodingKey {
            case time, gateway, method, path, rule, code, status, username, provider, token
            case decisionID = "decision_id"
            case latencyMicroseconds = "latency_us"
        }
    }

    private let handle: Mutex<FileHandle>

    /// Appends to `path`, or writes to standard output for `-`.
    public init(path: String) throws {
        if path == "-" {
            handle = Mutex(FileHandle.standardOutput)
            return
        }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let file = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        file.seekToEndOfFile()
        handle = Mutex(file)
    }

    func record(_ entry: Entry) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(entry) else { return }
        line.append(0x0A)
        handle.withLock { $0.write(line) }
    }
}
