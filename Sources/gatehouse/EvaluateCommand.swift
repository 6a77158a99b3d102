import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity

/// `gatehouse evaluate`: a dry run of one request against a policy, no server.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Decide one request against a policy and print the decision.",
        discussion: """
            Example:
              gatehouse evaluate policies/confluence-okta.yaml \\
                --method GET --path /confluence/rest/api/content/123 \\
                --provider okta --claims '{"preferred_username":"alice","scp":["content:read"]}'
              gatehouse evaluate policies/confluence-okta.yaml --request request.json --explain

            A request file (JSON or YAML) holds {method, path, host?, headers?, identity?}. \
            Credentials in an Authorization header are verified as the server would: JWTs \
            against the provider's keys (or --jwks FILE, offline), other tokens as API tokens or \
            by the provider's userinfo or introspection endpoint, Basic by bcrypt. Or simulate \
            the caller with --provider and --claims, or --api-token. Exits 0 on allow, 1 on deny.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "A request file (JSON or YAML), or - for standard input.")
    var request: String?

    @Option(help: "The request method (default GET).")
    var method: String?

    @Option(help: "The raw request target: path and query, as sent.")
    var path: String?

    @Option(name: .customLong("header"), help: "A request header, 'Name: value'. Repeatable.")
    var headers: [String] = []

    @Option(help: "The request's Host.")
    var host: String?

    @Option(help: "Simulate a caller verified by this provider.")
    var provider: String?

    @Option(help: "The simulated caller's claims, as a JSON object.")
    var claims: String?

    @Option(help: "Simulate a caller presenting this API token (by id).")
    var apiToken: String?

    @Option(help: "Verify JWTs offline against this saved key set (JWKS) instead of fetching the providers' keys.")
    var jwks: String?

    @Flag(help: "List every rule tried and why it matched or not.")
    var explain = false

    @Option(help: "Output format: text or json.")
    var format: DecisionFormat = .text

    @Option(help: "Evaluate at this instant (RFC 3339) instead of now.")
    var now: String?

    func validate() throws {
        if request != nil && (method != nil || path != nil || !headers.isEmpty || host != nil) {
            throw ValidationError("give either --request or --method/--path/--header/--host, not both")
        }
        if request == nil && path == nil { throw ValidationError("give --request FILE or --path TARGET") }
        if claims != nil && provider == nil { throw ValidationError("--claims needs --provider") }
        if apiToken != nil && provider != nil {
            throw ValidationError("give either --provider or --api-token, not both")
        }
        if let now, RFC3339.parse(now) == nil { throw ValidationError("--now `\(now)` is not an RFC 3339 instant") }
        for header in headers where !header.contains(":") {
            throw ValidationError("--header `\(header)` is not of the form 'Name: value'")
        }
    }

    func run() async throws {
        let compiled = try Loading.policy(policy)
        var (request, caller) = try readRequest()
        if let simulated = try flagCaller() {
            guard caller == nil else {
                throw Loading.usage("the request file has an identity already; drop --provider/--claims/--api-token")
            }
            caller = simulated
        }
        let instant = now.flatMap(RFC3339.parse) ?? Date()
        if case .failure(let rejection)? = caller.map({ compiled.identity(for: $0, now: instant) }),
            rejection.code.hasPrefix("simulation.")
        {
            throw Loading.usage(rejection.reason)
        }
        let decision = await Evaluator(policy: compiled).evaluate(
            request, caller: caller, verifier: try Loading.verifier(for: compiled.policy, jwks: jwks), now: instant,
            explain: explain)
        Standard.out(format == .json ? JSONText.encode(decision) : DecisionText.render(decision))
        if !decision.isAllowed { throw Exit.findings }
    }

    private func readRequest() throws -> (HTTPRequest, SimulatedCaller?) {
        guard let file = request else {
            let pairs = headers.map { header in
                let colon = header.firstIndex(of: ":")!
                return (
                    name: String(header[..<colon]).trimmingCharacters(in: .whitespaces),
                    value: String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                )
            }
            return (HTTPRequest(method: method ?? "GET", target: path ?? "/", host: host, headers: pairs), nil)
        }
        let source = try Loading.source(file)
        switch RequestFile.parse(source) {
        case .success(let parsed): return (parsed.request, parsed.caller)
        case .failure(let list):
            Standard.error(DiagnosticRenderer(sources: [source]).render(list.diagnostics, as: .text))
            throw Exit.unreadable
        }
    }

    private func flagCaller() throws -> SimulatedCaller? {
        if let apiToken { return .apiToken(apiToken) }
        guard let provider else { return nil }
        guard let claims else { return .provider(provider, claims: [:]) }
        guard case .object(let object)? = try? JSONValue.parse(claims) else {
            throw Loading.usage("--claims must be a JSON object")
        }
        return .provider(provider, claims: object)
    }
}

/// Reading inputs with the exit codes of DESIGN §4.
enum Loading {
    /// Prints a usage error found after parsing and returns the exit to throw (64).
    static func usage(_ message: String) -> ExitCode {
        Standard.error("error: \(message)\n")
        return Exit.usage
    }

    /// Reads a file, or exits 65 with the reason.
    static func source(_ path: String) throws -> SourceFile {
        do {
            return try SourceFile.read(path)
        } catch {
            Standard.error("error: \(error)\n")
            throw Exit.unreadable
        }
    }

    /// The verifier for real credentials: JWT keys from `jwks` when given, else from the providers.
    static func verifier(for policy: Policy, jwks: String?) throws -> TokenVerifier {
        let online = TokenVerifier.online(for: policy)
        guard let jwks else { return online }
        do {
            return TokenVerifier(keys: try SavedKeySet(path: jwks), remote: online.remote)
        } catch {
            Standard.error("error: \(error.reason)\n")
            throw Exit.unreadable
        }
    }

    /// Reads, checks and compiles a policy; any error exits 65 with the diagnostics.
    static func policy(_ path: String) throws -> CompiledPolicy {
        let (policy, _) = try checked(
            source(path), or: "error: \(path) has errors; fix them first (`gatehouse check \(path)`)\n")
        return PolicyCompiler.compile(policy)
    }

    /// Checks `source`: the policy and its warnings, or exit 65 with the diagnostics and `failure`.
    static func checked(_ source: SourceFile, or failure: String) throws -> (Policy, [Diagnostic]) {
        let result = PolicyChecker.check(source)
        guard let policy = result.policy else {
            Standard.error(DiagnosticRenderer(sources: [source]).render(result.diagnostics, as: .text))
            Standard.error(failure)
            throw Exit.unreadable
        }
        return (policy, result.diagnostics)
    }
}
