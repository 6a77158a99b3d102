import Foundation
import Gatehouse

/// One request of a traffic sample for `gatehouse diff`.
public struct TrafficRequest: Sendable {
    /// The request; nil for a decision-log line without a path (its target was refused).
    public let request: APIRequest?
    /// A simulated caller (request lines).
    public let caller: SimulatedCaller?
    /// The caller a decision-log line recorded: username, provider, scheme, groups and scopes.
    public let identity: Identity?

    /// Who asked, for examples in the report.
    var who: String? {
        if let identity { return identity.username }
        switch caller {
        case .provider(let id, _): return "a caller of \(id)"
        case .apiToken(let id): return "API token \(id)"
        case nil: return nil
        }
    }
}

/// Reads a traffic sample: JSON lines, each a request document (the format of `evaluate
/// --request`, `identity` included) or a line of the decision log `gatehouse serve` writes (a
/// shadow rollout's lines, which repeat a decision with the candidate's, are passed over).
public enum TrafficFile {
    /// Why a traffic file cannot be used: the file and line, and what is wrong.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads `text` (named `name` in problems).
    public static func parse(_ text: String, name: String) throws(Problem) -> [TrafficRequest] {
        var requests: [TrafficRequest] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let place = "\(name):\(offset + 1)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw Problem(description: "\(place): not a JSON object (a request, or a line of the decision log)")
            }
            if object["decision_id"] != nil {
                let line: DecisionLogLine
                do {
                    line = try DecisionLogLine.parse(trimmed)
                } catch {
                    throw Problem(description: "\(place): \(error.description)")
                }
                // A shadow line repeats a decision already read, with what the candidate decided.
                if line.candidate == nil { requests.append(try logged(line, at: place)) }
                continue
            }
            switch RequestFile.parse(SourceFile(name: place, text: trimmed)) {
            case .failure(let list):
                let reason = list.diagnostics.first.map { "\($0.message)" } ?? "malformed request"
                throw Problem(description: "\(place): \(reason)")
            case .success(let parsed):
                requests.append(TrafficRequest(request: parsed.request, caller: parsed.caller, identity: nil))
            }
        }
        return requests
    }

    /// A decision-log line as a request again: its method and normalized path, and the caller it
    /// recorded (claims are not logged, so `require.claims` cannot be met by a replayed caller).
    static func logged(_ line: DecisionLogLine, at place: String) throws(Problem) -> TrafficRequest {
        guard let path = line.path else { return TrafficRequest(request: nil, caller: nil, identity: nil) }
        guard let method = line.method else {
            throw Problem(description: "\(place): a decision-log line with a `path` but no `method`")
        }
        var identity: Identity?
        if let username = line.username {
            guard let schemeName = line.scheme, let scheme = Scheme(rawValue: schemeName) else {
                throw Problem(
                    description:
                        "\(place): a decision-log line with a username but no `scheme` (written before Gatehouse logged callers' schemes, groups and scopes)"
                )
            }
            identity = Identity(
                username: username, provider: line.provider, scheme: scheme, groups: line.groups ?? [],
                scopes: line.scopes ?? [])
        }
        return TrafficRequest(
            request: APIRequest(method: method, target: encode(path)), caller: nil, identity: identity)
    }

    /// The log's decoded path as a request target again.
    static func encode(_ path: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/".utf8)
        var out = ""
        for byte in path.utf8 {
            if allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
