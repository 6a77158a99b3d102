import Foundation

extension PolicyReader {
    /// `assertion: {header, issuer, audience, ttl, keys: [{file, kid}]}`. The key files are read by
    /// whoever signs (`serve`, `check`), never through the policy's files: a private key is never
    /// part of a bundle, a revision or a diagnostic's excerpt.
    func readAssertion(_ node: YAMLNode, upstream: [UpstreamHeader]) -> AssertionSettings? {
        guard
            let fields = context.mapping(
                node, "`assertion`", allowed: ["header", "issuer", "audience", "ttl", "keys"],
                required: ["issuer", "audience", "keys"])
        else { return nil }
        let header = fields["header"].flatMap { readAssertionHeader($0, upstream: upstream) }
        let issuer = fields["issuer"].flatMap { readClaimText($0, "`issuer` of `assertion`") }
        let audience = fields["audience"].flatMap { readClaimText($0, "`audience` of `assertion`") }
        let ttl = fields["ttl"].map { readTTL($0) } ?? .seconds(60)
        let keys = fields["keys"].map(readAssertionKeys) ?? []
        guard let issuer, let audience, let ttl, !keys.isEmpty, fields["header"] == nil || header != nil else {
            return nil
        }
        return AssertionSettings(
            header: header ?? AssertionSettings.standardHeader, issuer: issuer, audience: audience, ttl: ttl, keys: keys
        )
    }

    private func readAssertionHeader(_ node: YAMLNode, upstream: [UpstreamHeader]) -> String? {
        guard let name = context.string(node, "`header` of `assertion`") else { return nil }
        guard Self.isHeaderName(name.value) else {
            context.error("check.invalid-header", "`\(name.value)` is not a valid header name", at: name.location)
            return nil
        }
        let taken = upstream.map(\.name) + IdentityField.allCases.map(\.standardHeader) + ["Authorization", "Cookie"]
        if let clash = taken.first(where: { $0.equalsIgnoringCase(name.value) }) {
            context.error(
                "check.invalid-header", "the assertion cannot travel in `\(clash)`, which carries something else",
                at: name.location, help: "leave `header` out to use `\(AssertionSettings.standardHeader)`")
            return nil
        }
        if !name.value.equalsIgnoringCase(AssertionSettings.standardHeader) {
            context.warning(
                "check.gateway-header",
                "`\(name.value)` is not the standard assertion header: the shipped gateway configurations do not strip a client's copy of it",
                at: name.location,
                help:
                    "name it `\(AssertionSettings.standardHeader)`, or add the lines `gatehouse check --gateway-config GATEWAY` prints to every gateway"
            )
        }
        return name.value
    }

    private func readClaimText(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = context.string(node, what) else { return nil }
        guard !text.value.isEmpty, !Provider.hasControlCharacters(text.value) else {
            context.error("check.invalid-value", "\(what) must be a non-empty string", at: text.location)
            return nil
        }
        return text.value
    }

    private func readTTL(_ node: YAMLNode) -> Duration? {
        guard let ttl = context.duration(node, "`ttl` of `assertion`") else { return nil }
        guard AssertionSettings.ttlRange.contains(ttl), ttl.components.attoseconds == 0 else {
            context.error(
                "check.invalid-duration", "`ttl` of `assertion` must be whole seconds from 5s to 10m",
                at: node.location, help: "an assertion is short-lived: 60s is the default")
            return nil
        }
        return ttl
    }

    private func readAssertionKeys(_ node: YAMLNode) -> [AssertionKeyFile] {
        guard case .sequence(let items, _) = node, !items.isEmpty else {
            context.wrongType(node, "`keys` of `assertion`", expected: "a non-empty list of `{file, kid}`")
            return []
        }
        var kids: [String: SourceLocation] = [:]
        let keys = items.compactMap { item -> AssertionKeyFile? in
            guard
                let fields = context.mapping(
                    item, "a key of `assertion`", allowed: ["file", "kid"], required: ["file", "kid"]),
                let file = fields["file"].flatMap({ context.string($0, "`file` of an assertion key") }),
                let kid = fields["kid"].flatMap({ context.string($0, "`kid` of an assertion key") })
            else { return nil }
            guard kid.value.count <= 64, Self.isIdentifier(kid.value.replacingOccurrences(of: ".", with: "-")) else {
                context.error(
                    "check.invalid-value", "`\(kid.value)` is not a valid key id", at: kid.location,
                    help: "use up to 64 letters, digits, `.`, `-` and `_`, e.g. `2026-12`")
                return nil
            }
            if let first = kids.updateValue(kid.location, forKey: kid.value) {
                context.error(
                    "check.duplicate-id", "assertion key id `\(kid.value)` is used twice", at: kid.location,
                    help: "first used at line \(first.line)")
                return nil
            }
            guard !file.value.isEmpty else {
                context.error("check.invalid-value", "`file` of an assertion key is empty", at: file.location)
                return nil
            }
            return AssertionKeyFile(path: file.value, kid: kid.value, location: file.location)
        }
        return keys.count == items.count ? keys : []
    }
}
