import Foundation

/// Turns a policy file into a ``Policy``, collecting every problem with its location.
public enum PolicyChecker {
    /// The result of checking one file: the policy when there is no error, and every diagnostic.
    public struct Result: Sendable {
        /// The checked policy; nil when any diagnostic is an error.
        public let policy: Policy?
        /// Errors and warnings, sorted by position.
        public let diagnostics: [Diagnostic]
        /// The other files the policy names (an htpasswd file), as read.
        public let referenced: [SourceFile]
    }

    /// Checks the policy in `source`, reading the files it names (relative to its folder) through
    /// `files`; by default it names none that can be read.
    public static func check(_ source: SourceFile, files: any FileAccess = InMemoryFiles([:])) -> Result {
        switch YAMLReader.read(source) {
        case .failure(let list):
            return Result(policy: nil, diagnostics: list.diagnostics, referenced: [])
        case .success(let root):
            let context = CheckContext()
            let reader = PolicyReader(context: context, file: source.name, files: files)
            let policy = reader.read(root)
            let diagnostics = context.diagnostics.sorted()
            return Result(
                policy: diagnostics.hasErrors ? nil : policy, diagnostics: diagnostics,
                referenced: reader.referenced.files)
        }
    }
}

/// Reads the top level of a policy; providers and rules are read by extensions.
struct PolicyReader {
    static let topLevelKeys = [
        "version", "name", "providers", "api_tokens", "basic", "schemes", "upstream_headers", "rules",
        "default", "case_sensitive_paths", "allow_override_headers", "assertion",
    ]
    static let defaultSchemes: SchemeSet = [.bearer, .apiToken]

    let context: CheckContext
    let file: String
    let files: any FileAccess
    /// The files read while checking, in order.
    let referenced = ReferencedFiles()

    func read(_ root: YAMLNode) -> Policy? {
        guard
            let fields = context.mapping(
                root, "the policy", allowed: Self.topLevelKeys, required: ["version", "rules"])
        else { return nil }
        readVersion(fields["version"])
        let name =
            fields["name"].flatMap { context.string($0, "`name`")?.value }
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let providers = fields["providers"].map(readProviders) ?? []
        var issuers: [String: Provider] = [:]
        for provider in providers {
            if let first = issuers.updateValue(provider, forKey: provider.issuer) {
                context.error(
                    "check.duplicate-issuer",
                    "providers `\(first.id)` and `\(provider.id)` have the same issuer `\(provider.issuer)`",
                    at: provider.location,
                    help: "a token is routed by its `iss`, so each issuer may belong to one provider")
            }
        }
        let apiTokens = fields["api_tokens"].map(readAPITokens) ?? []
        let basicUsers = fields["basic"].map(readBasic) ?? []
        let schemes = fields["schemes"].flatMap { readSchemes($0, "`schemes`") } ?? Self.defaultSchemes
        let headers =
            fields["upstream_headers"].map(readUpstreamHeaders)
            ?? [UpstreamHeader(name: "X-Auth-User", field: .username)]
        let caseSensitive =
            fields["case_sensitive_paths"].flatMap { context.bool($0, "`case_sensitive_paths`") } ?? true
        let defaultAction = readDefault(fields["default"])
        let overrides = fields["allow_override_headers"].map(readOverrideHeaders) ?? []
        let assertion = fields["assertion"].flatMap { readAssertion($0, upstream: headers) }
        let known = KnownNames(providers: Set(providers.map(\.id)))
        let rules = fields["rules"].map { readRules($0, known: known, caseSensitive: caseSensitive) } ?? []
        warnOfAmbiguousUsernames(rules, providers: providers, schemes: schemes)
        if schemes.allows(.basic) && basicUsers.isEmpty {
            context.warning(
                "check.no-basic-users", "the `basic` scheme is allowed but no Basic users are defined",
                at: fields.keyLocation("schemes"))
        }
        return Policy(
            name: name, file: file, providers: providers, apiTokens: apiTokens, basicUsers: basicUsers,
            schemes: schemes, upstreamHeaders: headers, rules: rules, defaultAction: defaultAction,
            caseSensitivePaths: caseSensitive, allowedOverrideHeaders: overrides, assertion: assertion)
    }

    private func readVersion(_ node: YAMLNode?) {
        guard let node, let text = context.string(node, "`version`") else { return }
        if text.value != "1" {
            context.error(
                "check.unsupported-version", "policy version `\(text.value)` is not supported", at: text.location,
                help: "this Gatehouse reads `version: 1`")
        }
    }

    private func readDefault(_ node: YAMLNode?) -> DefaultAction {
        guard let node, let action = context.word(node, "`default`", as: DefaultAction.self) else { return .deny }
        if action == .anyone {
            context.warning(
                "check.default-anyone", "`default: anyone` allows every request that no rule matches",
                at: node.location, help: "prefer `default: deny` and an explicit `allow: anyone` rule per public path")
        }
        return action
    }

    func readSchemes(_ node: YAMLNode, _ what: String) -> SchemeSet? {
        guard let names = context.strings(node, what) else { return nil }
        var set: SchemeSet = []
        for name in names {
            guard let scheme = Scheme(rawValue: name.value) else {
                context.error(
                    "check.unknown-scheme", "unknown scheme `\(name.value)`", at: name.location,
                    help: Suggestion.help(for: name.value, in: Scheme.allCases.map(\.rawValue)))
                continue
            }
            set.insert(SchemeSet(scheme))
        }
        return set
    }

    /// Usernames are not namespaced by provider: a rule that binds the username (`require.username`)
    /// and accepts callers of two providers lets a user of one act as the other's user of that name.
    private func warnOfAmbiguousUsernames(_ rules: [Rule], providers: [Provider], schemes: SchemeSet) {
        for rule in rules {
            guard case .require(let requirement) = rule.action, requirement.username != nil,
                (requirement.schemes ?? schemes).allows(.bearer)
            else { continue }
            let accepted = requirement.providers.isEmpty ? providers.map(\.id) : requirement.providers
            guard accepted.count > 1 else { continue }
            context.warning(
                "check.ambiguous-username",
                "rule `\(rule.id)` binds the username, and callers of \(Self.and(accepted)) can share a username",
                at: rule.location,
                help: "usernames are not namespaced by provider: name one provider in `require.providers`")
        }
    }

    private func readOverrideHeaders(_ node: YAMLNode) -> [OverrideHeader] {
        guard let names = context.strings(node, "`allow_override_headers`") else { return [] }
        return names.compactMap { name in
            guard let header = OverrideHeader(named: name.value) else {
                context.error(
                    "check.invalid-header",
                    "`\(name.value)` is not a header that overrides the request's target or method",
                    at: name.location,
                    help: Suggestion.help(for: name.value, in: OverrideHeader.allCases.map(\.rawValue)))
                return nil
            }
            return header
        }
    }

    private func readUpstreamHeaders(_ node: YAMLNode) -> [UpstreamHeader] {
        guard case .mapping(let entries, _) = node else {
            context.wrongType(node, "`upstream_headers`", expected: "a mapping of header names to identity fields")
            return []
        }
        var seen: [String: SourceLocation] = [:]
        return entries.compactMap { entry in
            let name = entry.key
            guard Self.isHeaderName(name.value) else {
                context.error("check.invalid-header", "`\(name.value)` is not a valid header name", at: name.location)
                return nil
            }
            if let first = seen.updateValue(name.location, forKey: name.value.lowercased()) {
                context.error(
                    "check.invalid-header", "header `\(name.value)` is set twice (names are case-insensitive)",
                    at: name.location, help: "first set at line \(first.line)")
                return nil
            }
            guard let field = context.word(entry.value, "identity field", as: IdentityField.self) else { return nil }
            if !IdentityField.isStandardHeader(name.value) {
                context.warning(
                    "check.gateway-header",
                    "`\(name.value)` is not a standard identity header: the shipped gateway configurations do not strip a client's copy of it",
                    at: name.location,
                    help:
                        "name it `\(field.standardHeader)`, or add the lines `gatehouse check --gateway-config GATEWAY` prints to every gateway"
                )
            }
            return UpstreamHeader(name: name.value, field: field)
        }
    }

    /// "`a`, `b` and `c`".
    static func and(_ names: [String]) -> String {
        let quoted = names.map { "`\($0)`" }
        return quoted.count < 2 ? quoted.joined() : quoted.dropLast().joined(separator: ", ") + " and " + quoted.last!
    }

    static func isHeaderName(_ name: String) -> Bool {
        let token = Set("!#$%&'*+-.^_`|~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return !name.isEmpty && name.allSatisfy(token.contains)
    }
}

/// Names that rules may refer to.
struct KnownNames {
    let providers: Set<String>
}
