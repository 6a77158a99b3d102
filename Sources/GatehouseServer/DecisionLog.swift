import Foundation
import Gatehouse
import Synchronization

/// One JSON line per gateway decision: when, which decision, what was asked, what was decided,
/// for whom (username, provider, scheme, groups, scopes), under which policy (the first 12 hex
/// digits of its SHA-256), and how long it took. A token appears only as the first 12 hex digits
/// of its SHA-256. Each line is written whole with
/// one `write` as it is decided, so a crash loses no decision that was answered.
public final class DecisionLog: Sendable {
    struct Entry {
        let time: Date
        let decisionID: String
        let gateway: String
        let policy: String
        let method: String
        let path: String?
        let rule: String?
        let code: String
        let status: Int
        let username: String?
        let provider: String?
        /// The caller's scheme, groups and scopes: what `gatehouse diff` needs to decide the
        /// request again under another policy.
        let scheme: String?
        let groups: [String]?
        let scopes: [String]?
        let token: String?
        let latencyMicroseconds: Int
    }

    private struct State {
        let descriptor: Int32
        /// The last second formatted, and its text: formatting a date costs more than the rest of a line.
        var second = Int.min
        var secondText = ""
    }

    private let state: Mutex<State>

    /// Appends to `path`, or writes to standard output for `-`.
    public init(path: String) throws {
        if path == "-" {
            state = Mutex(State(descriptor: STDOUT_FILENO))
            return
        }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        state = Mutex(State(descriptor: descriptor))
    }

    deinit {
        state.withLock { if $0.descriptor != STDOUT_FILENO { close($0.descriptor) } }
    }

    func record(_ entry: Entry) {
        state.withLock { state in
            let second = Int(entry.time.timeIntervalSince1970.rounded(.down))
            if second != state.second {
                state.second = second
                state.secondText = RFC3339.format(Date(timeIntervalSince1970: Double(second)))
            }
            var line = JSONLine()
            line.add("code", entry.code)
            line.add("decision_id", entry.decisionID)
            line.add("gateway", entry.gateway)
            line.add("groups", entry.groups)
            line.add("latency_us", entry.latencyMicroseconds)
            line.add("method", entry.method)
            line.add("path", entry.path)
            line.add("policy", entry.policy)
            line.add("provider", entry.provider)
            line.add("rule", entry.rule)
            line.add("scheme", entry.scheme)
            line.add("scopes", entry.scopes)
            line.add("status", entry.status)
            line.add("time", state.secondText)
            line.add("token", entry.token)
            line.add("username", entry.username)
            var bytes = line.finished()
            bytes.withUTF8 { buffer in
                var written = 0
                while written < buffer.count {
                    let result = write(state.descriptor, buffer.baseAddress! + written, buffer.count - written)
                    if result > 0 {
                        written += result
                    } else if result < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }
}

/// A one-line JSON object with keys in the order added (sorted by the caller) and absent values
/// left out, as `JSONEncoder` would write it with sorted keys and unescaped slashes.
struct JSONLine {
    private var text = "{"

    mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        start(key)
        quote(value)
    }

    mutating func add(_ key: String, _ values: [String]?) {
        guard let values else { return }
        start(key)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            quote(value)
        }
        text += "]"
    }

    private mutating func quote(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    mutating func add(_ key: String, _ value: Int) {
        start(key)
        text += String(value)
    }

    private mutating func start(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        text += "\"" + key + "\":"
    }

    func finished() -> String { text + "}\n" }
}
