import Foundation
import Gatehouse
import Synchronization

/// The decision log: one ``DecisionLogLine`` per answer, as JSON. Each line is written whole with
/// one `write` as it is decided, so a crash loses no decision that was answered.
public final class DecisionLog: Sendable {
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

    /// Writes `line`, decided at `time` (its text filled in here, formatted once a second).
    func record(_ line: DecisionLogLine, at time: Date) {
        state.withLock { state in
            let second = Int(time.timeIntervalSince1970.rounded(.down))
            if second != state.second {
                state.second = second
                state.secondText = RFC3339.format(Date(timeIntervalSince1970: Double(second)))
            }
            var line = line
            line.time = state.secondText
            var bytes = line.encoded
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
