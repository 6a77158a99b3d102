extension PolicyReader {
    static let ruleKeys = ["id", "description", "match", "allow", "deny", "require"]
    static let actionKeys = ["allow", "deny", "require"]
    static let requireKeys = ["schemes", "providers", "groups", "scopes", "claims", "username"]

    func readRules(_ node: YAMLNode, known: KnownNames, caseSensitive: Bool) -> [Rule] {
        guard case .sequence(let items, _) = node else {
            context.wrongType(node, "`rules`", expected: "a list of rules")
            return []
        }
        var ids: [String: SourceLocation] = [:]
        ids.reserveCapacity(items.count)
        var rules: [Rule] = []
        rules.reserveCapacity(items.count)
        var complete = true
        for item in items {
            guard let rule = readRule(item, known: known) else {
                complete = false
                continue
            }
            if let first = ids.updateValue(rule.location, forKey: rule.id) {
                context.error(
                    "check.duplicate-rule-id", "rule id `\(rule.id)` is used twice", at: rule.location,
                    help: "first used at line \(first.line); rule ids name decisions, so each must be unique")
            }
            rules.append(rule)
        }
        if complete {
            for shadow in ShadowAnalysis(rules: rules, caseSensitive: caseSensitive).shadowedRules() {
                context.warning(
                    Diagnostic.shadowedRule,
                    "rule `\(shadow.rule.id)` can never match: rule `\(shadow.by.id)` matches every request it matches",
                    at: shadow.rule.location,
                    help:
                        "`\(shadow.by.id)` (line \(shadow.by.location.line)) comes first; move this rule above it or remove it"
                )
            }
        }
        return rules
    }

    /// How problems with the whole rule name it: by its id when it has one.
    private static func name(of node: YAMLNode) -> String {
        guard case .mapping(let entries, _) = node,
            case .scalar(let id)? = entries.first(where: { $0.key.value == "id" })?.value
        else { return "a rule" }
        return "rule `\(id.text)`"
    }

    private func readRule(_ node: YAMLNode, known: KnownNames) -> Rule? {
        guard
            let fields = context.mapping(node, Self.name(of: node), allowed: Self.ruleKeys, required: ["id", "match"]),
            let id = fields["id"].flatMap({ context.string($0, "a rule's `id`") })
        else { return nil }
        let what = "rule `\(id.value)`"
        if let description = fields["description"] { _ = context.string(description, "`description` of \(what)") }
        let match = fields["match"].flatMap { readMatch($0, what) }
        let present = Self.actionKeys.filter(fields.has)
        guard present.count == 1 else {
            if present.isEmpty {
                context.error(
                    "check.missing-key", "\(what) needs one of `allow`, `deny` or `require`", at: fields.location)
            } else {
                context.error(
                    "check.conflicting-actions", "\(what) has both `\(present[0])` and `\(present[1])`",
                    at: fields.keyLocation(present[1]), help: "a rule has exactly one of `allow`, `deny` and `require`")
            }
            return nil
        }
        let action = readAction(present[0], fields[present[0]]!, what, match?.path, known)
        guard let match, let action else { return nil }
        return Rule(id: id.value, location: id.location, path: match.path, methods: match.methods, action: action)
    }

    private func readMatch(_ node: YAMLNode, _ what: String) -> (path: PathPattern, methods: [HTTPMethod]?)? {
        guard
            let fields = context.mapping(node, "`match` of \(what)", allowed: ["path", "methods"], required: ["path"]),
            let text = fields["path"].flatMap({ context.string($0, "`path` of \(what)") })
        else { return nil }
        let methods = fields["methods"].map { readMethods($0, what) }
        switch PathPattern.parse(text.value) {
        case .success(let pattern):
            guard let methods else { return (pattern, nil) }
            return methods.map { (pattern, $0) }
        case .failure(let error):
            context.error(
                "check.invalid-path", "invalid path pattern `\(text.value)`: \(error.reason)", at: text.location,
                help: "patterns use literal segments, `*` (one segment), `**` (any depth) and `{name}`")
            return nil
        }
    }

    private func readMethods(_ node: YAMLNode, _ what: String) -> [HTTPMethod]? {
        guard let names = context.strings(node, "`methods` of \(what)") else { return nil }
        var methods: [HTTPMethod] = []
        for name in names {
            guard let method = HTTPMethod(rawValue: name.value) else {
                let upper = name.value.uppercased()
                context.error(
                    "check.invalid-method", "`\(name.value)` is not an HTTP method", at: name.location,
                    help: HTTPMethod(rawValue: upper) != nil
                        ? "methods are case-sensitive: did you mean `\(upper)`?"
                        : Suggestion.help(for: name.value, in: HTTPMethod.allCases.map(\.rawValue)))
                continue
            }
            methods.append(method)
        }
        return methods.count == names.count ? methods : nil
    }

    private func readAction(
        _ key: String, _ node: YAMLNode, _ what: String, _ path: PathPattern?, _ known: KnownNames
    ) -> RuleAction? {
        switch key {
        case "allow":
            guard let text = context.string(node, "`allow` of \(what)") else { return nil }
            guard text.value == "anyone" else {
                context.error(
                    "check.invalid-value", "`allow` takes only `anyone` (found `\(text.value)`)", at: text.location,
                    help: "to allow verified callers, write `require: authenticated`")
                return nil
            }
            return .allowAnyone
        case "deny":
            return context.string(node, "`deny` of \(what)").map { .deny(reason: $0.value) }
        default:
            return readRequirement(node, what, path, known).map { .require($0) }
        }
    }

    private func readRequirement(
        _ node: YAMLNode, _ what: String, _ path: PathPattern?, _ known: KnownNames
    ) -> Requirement? {
        if case .scalar = node {
            guard let text = context.string(node, "`require` of \(what)") else { return nil }
            guard text.value == "authenticated" else {
                context.error(
                    "check.invalid-value", "`require` takes `authenticated` or a mapping (found `\(text.value)`)",
                    at: text.location)
                return nil
            }
            return .authenticated
        }
        guard let fields = context.mapping(node, "`require` of \(what)", allowed: Self.requireKeys) else { return nil }
        if Self.requireKeys.allSatisfy({ !fields.has($0) }) {
            context.error(
                "check.invalid-value", "`require` of \(what) is empty", at: fields.location,
                help: "write `require: authenticated` for any verified caller")
            return nil
        }
        var requirement = Requirement()
        var valid = true
        func list(_ key: String) -> [Located<String>] {
            guard let node = fields[key] else { return [] }
            guard let values = context.strings(node, "`\(key)` of \(what)") else {
                valid = false
                return []
            }
            return values
        }
        if let node = fields["schemes"] {
            requirement.schemes = readSchemes(node, "`schemes` of \(what)")
            valid = valid && requirement.schemes != nil
        }
        let providers = list("providers")
        for provider in providers where !known.providers.contains(provider.value) {
            valid = false
            context.error(
                "check.unknown-provider", "\(what) names unknown provider `\(provider.value)`", at: provider.location,
                help: Suggestion.help(for: provider.value, in: known.providers.sorted()) ?? "no providers are defined")
        }
        requirement.providers = providers.map(\.value)
        requirement.groups = list("groups").map(\.value)
        requirement.scopes = list("scopes").map(\.value)
        if let node = fields["claims"] {
            requirement.claims =
                readClaimRequirements(node, what, path)
                ?? {
                    valid = false; return []
                }()
        }
        if let node = fields["username"] {
            requirement.username = readTemplate(node, "`username` of \(what)", path)
            valid = valid && requirement.username != nil
        }
        return valid ? requirement : nil
    }

    /// A value with `{parameter}` placeholders, each of which must be a parameter of `path`.
    private func readTemplate(_ node: YAMLNode, _ what: String, _ path: PathPattern?) -> ValueTemplate? {
        guard let text = context.string(node, what) else { return nil }
        guard let template = ValueTemplate(text.value) else {
            context.error(
                "check.invalid-value", "`\(text.value)` has an unbalanced or invalid `{parameter}`", at: text.location)
            return nil
        }
        let unknown = template.parameters.filter { name in path.map { !$0.parameters.contains(name) } ?? false }
        for name in unknown {
            context.error(
                "check.unknown-path-parameter", "`{\(name)}` is not a parameter of path `\(path?.text ?? "")`",
                at: text.location, help: Suggestion.help(for: name, in: path?.parameters ?? [], listing: false))
        }
        return unknown.isEmpty ? template : nil
    }

    private func readClaimRequirements(_ node: YAMLNode, _ what: String, _ pattern: PathPattern?) -> [ClaimRequirement]?
    {
        guard case .mapping(let entries, _) = node else {
            context.wrongType(node, "`claims` of \(what)", expected: "a mapping of claim names to values")
            return nil
        }
        let claims = entries.map { entry -> ClaimRequirement? in
            let path = ClaimPath(entry.key.value)
            guard path.isValid else {
                context.error(
                    "check.invalid-value", "`\(entry.key.value)` is not a valid claim name", at: entry.key.location)
                return nil
            }
            return readTemplate(entry.value, "claim `\(entry.key.value)` of \(what)", pattern).map {
                ClaimRequirement(path: path, value: $0)
            }
        }
        return claims.contains { $0 == nil } ? nil : claims.compactMap { $0 }
    }
}
