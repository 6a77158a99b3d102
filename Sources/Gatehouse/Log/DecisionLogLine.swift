/// One line of the decision log: written by `gatehouse serve` for every answer it gives, read by
/// `gatehouse diff --requests` to decide the request again. `schemas/decision-log.schema.json`
/// describes it; a token appears only as its fingerprint (the first 12 hex digits of its SHA-256).
public struct DecisionLogLine: Sendable, Equatable {
    /// When the decision was made, RFC 3339 to the second.
    public var time: String
    /// The id the gateway was sent.
    public var decisionID: String
    /// The door the request came in by: a gateway's convention (`nginx`, `envoy`, `forward`) or
    /// `decide` for `POST /v1/decide`.
    public var gateway: String
    /// The policy that decided: the first 12 hex digits of its SHA-256; nil when none was active.
    public var policy: String?
    /// The revision of the policy that decided (its bundle's, or a digest of its files).
    public var revision: String?
    /// True when the server takes unsigned bundles (`--allow-unsigned-bundles`): said on every line.
    public var unsignedBundles: Bool?
    /// On a shadow line: what the candidate policy decided for the same request (the line's other
    /// fields are the active decision's).
    public var candidate: Candidate?
    /// The original request's method, when the check request said.
    public var method: String?
    /// The normalized path; nil when the target was refused or unknown.
    public var path: String?
    /// The deciding rule.
    public var rule: String?
    /// The decision's code.
    public var code: DecisionCode
    /// The status actually sent (after a gateway's mapping, such as nginx's 400 → 403).
    public var status: Int
    /// The engine's status, when the one sent differs.
    public var engineStatus: Int?
    /// The caller, when known: what `diff` needs to decide the request again.
    public var username: String?
    public var provider: String?
    public var scheme: String?
    public var groups: [String]?
    public var scopes: [String]?
    /// A bearer token's fingerprint (the first 12 hex digits of its SHA-256).
    public var token: String?
    /// The username Basic credentials claimed, verified or not (their password is never logged,
    /// nor a digest of it).
    public var basicUser: String?
    /// How long deciding took, in microseconds.
    public var latencyMicroseconds: Int

    /// The candidate policy's decision on a shadow line.
    public struct Candidate: Sendable, Equatable {
        public var revision: String
        public var rule: String?
        public var code: DecisionCode
        public var status: Int

        /// Creates the candidate's part.
        public init(revision: String, rule: String?, code: DecisionCode, status: Int) {
            self.revision = revision
            self.rule = rule
            self.code = code
            self.status = status
        }
    }

    /// Creates a line.
    public init(
        time: String, decisionID: String, gateway: String, policy: String?, revision: String? = nil,
        method: String?, path: String?,
        rule: String?, code: DecisionCode, status: Int, engineStatus: Int?, username: String?, provider: String?,
        scheme: String?, groups: [String]?, scopes: [String]?, token: String?, basicUser: String? = nil,
        latencyMicroseconds: Int
    ) {
        self.time = time
        self.decisionID = decisionID
        self.gateway = gateway
        self.policy = policy
        self.revision = revision
        self.method = method
        self.path = path
        self.rule = rule
        self.code = code
        self.status = status
        self.engineStatus = engineStatus
        self.username = username
        self.provider = provider
        self.scheme = scheme
        self.groups = groups
        self.scopes = scopes
        self.token = token
        self.basicUser = basicUser
        self.latencyMicroseconds = latencyMicroseconds
    }

    /// The line as one JSON object and a newline, keys sorted, absent values left out. Written by
    /// hand: `JSONEncoder` cost more than the decision under load.
    public var encoded: String {
        var line = JSONLine()
        line.add("basic_user", basicUser)
        line.add("candidate_code", candidate?.code.rawValue)
        line.add("candidate_revision", candidate?.revision)
        line.add("candidate_rule", candidate?.rule)
        line.add("candidate_status", candidate?.status)
        line.add("code", code.rawValue)
        line.add("decision_id", decisionID)
        line.add("engine_status", engineStatus)
        line.add("gateway", gateway)
        line.add("groups", groups)
        line.add("latency_us", latencyMicroseconds)
        line.add("method", method)
        line.add("path", path)
        line.add("policy", policy)
        line.add("provider", provider)
        line.add("revision", revision)
        line.add("rule", rule)
        line.add("scheme", scheme)
        line.add("scopes", scopes)
        line.add("status", status)
        line.add("time", time)
        line.add("token", token)
        line.add("unsigned_bundles", unsignedBundles)
        line.add("username", username)
        return line.finished()
    }

    /// Why a line is not a decision-log line.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads a line as ``encoded`` writes it.
    public static func parse(_ text: String) throws(Problem) -> DecisionLogLine {
        guard case .object(let object)? = try? JSONValue.parse(text) else {
            throw Problem(description: "not a JSON object")
        }
        func string(_ key: String) throws(Problem) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw Problem(description: "`\(key)` is not a string")
            }
        }
        func required(_ key: String) throws(Problem) -> String {
            guard let value = try string(key) else {
                throw Problem(description: "a decision-log line without `\(key)`")
            }
            return value
        }
        func integer(_ key: String) throws(Problem) -> Int? {
            switch object[key] {
            case nil, .null?: return nil
            case .number(let value)? where value.rounded() == value && abs(value) < 1e15: return Int(value)
            default: throw Problem(description: "`\(key)` is not an integer")
            }
        }
        func strings(_ key: String) throws(Problem) -> [String]? {
            switch object[key] {
            case nil, .null?: return nil
            case .array(let items)?:
                let texts = items.compactMap(\.stringValue)
                guard texts.count == items.count else {
                    throw Problem(description: "`\(key)` is not a list of strings")
                }
                return texts
            default: throw Problem(description: "`\(key)` is not a list of strings")
            }
        }
        let codeText = try required("code")
        guard let code = DecisionCode(rawValue: codeText) else {
            throw Problem(description: "`\(codeText)` is not a decision code")
        }
        guard let status = try integer("status") else {
            throw Problem(description: "a decision-log line without `status`")
        }
        var parsed = DecisionLogLine(
            time: try required("time"), decisionID: try required("decision_id"), gateway: try required("gateway"),
            policy: try string("policy"), revision: try string("revision"), method: try string("method"),
            path: try string("path"), rule: try string("rule"), code: code, status: status,
            engineStatus: try integer("engine_status"), username: try string("username"),
            provider: try string("provider"), scheme: try string("scheme"), groups: try strings("groups"),
            scopes: try strings("scopes"), token: try string("token"), basicUser: try string("basic_user"),
            latencyMicroseconds: try integer("latency_us") ?? 0)
        parsed.unsignedBundles = object["unsigned_bundles"] == .bool(true) ? true : nil
        if let candidateCode = try string("candidate_code") {
            guard let code = DecisionCode(rawValue: candidateCode), let status = try integer("candidate_status"),
                let revision = try string("candidate_revision")
            else { throw Problem(description: "a shadow line without a whole candidate decision") }
            parsed.candidate = Candidate(
                revision: revision, rule: try string("candidate_rule"), code: code, status: status)
        }
        return parsed
    }
}
