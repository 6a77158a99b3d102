import Foundation

extension PolicyReader {
    static let providerCommonKeys = [
        "kind", "issuer", "discovery_url", "jwks_uri", "token_endpoint", "userinfo_endpoint",
        "introspection_endpoint", "audiences", "verify", "algorithms", "leeway", "cache", "claims", "client_id",
        "client_secret",
    ]

    func readProviders(_ node: YAMLNode) -> [Provider] {
        guard case .mapping(let entries, _) = node else {
            context.wrongType(node, "`providers`", expected: "a mapping of provider ids to providers")
            return []
        }
        return entries.compactMap { readProvider(id: $0.key, $0.value) }
    }

    private func readProvider(id: Located<String>, _ node: YAMLNode) -> Provider? {
        let what = "provider `\(id.value)`"
        guard Self.isIdentifier(id.value) else {
            context.error(
                "check.invalid-value", "`\(id.value)` is not a valid provider id", at: id.location,
                help: "use letters, digits, `-` and `_`")
            return nil
        }
        guard case .mapping(let entries, _) = node else {
            context.wrongType(node, what, expected: "a mapping")
            return nil
        }
        let kindNode = entries.first { $0.key.value == "kind" }?.value
        let kind = kindNode.flatMap { context.word($0, "provider kind", as: ProviderKind.self) }
        let presetKeys =
            kind.map { $0.presetKeys.map(\.key) }
            ?? ProviderKind.allCases.flatMap { $0.presetKeys.map(\.key) }
        guard
            let fields = context.mapping(
                node, what, allowed: Self.providerCommonKeys + presetKeys, required: ["kind"],
                specialKeys: ["client_secret_value": Self.inlineSecret, "password": Self.inlineSecret])
        else { return nil }
        guard let kind else { return nil }
        var settings: [String: String] = [:]
        for (key, required) in kind.presetKeys {
            guard let value = fields[key].flatMap({ context.string($0, "`\(key)` of \(what)") }) else {
                if required && !fields.has(key) {
                    context.error(
                        "check.missing-key", "\(what) is missing `\(key)`", at: fields.location,
                        help:
                            "a `\(kind.rawValue)` provider needs \(kind.presetKeys.filter(\.required).map { "`\($0.key)`" }.joined(separator: " and "))"
                    )
                }
                continue
            }
            checkPresetValue(key: key, value)
            settings[key] = value.value
        }
        var (issuer, endpoints) = kind.expand(settings)
        if kind != .oidc, let override = fields["issuer"].flatMap({ readURL($0, "`issuer` of \(what)") }) {
            issuer = override
        }
        for (key, path) in ProviderEndpoints.keys {
            if let node = fields[key], let url = readURL(node, "`\(key)` of \(what)") {
                endpoints[keyPath: path] = url
            }
        }
        let verify = fields["verify"].flatMap { context.word($0, "verify mode", as: VerifyMode.self) } ?? .jwt
        let secret = fields["client_secret"].flatMap { readSecret($0, "`client_secret` of \(what)") }
        let clientID = fields["client_id"].flatMap { context.string($0, "`client_id` of \(what)")?.value }
        if verify == .introspection {
            for (key, present) in [
                ("client_id", fields.has("client_id")), ("client_secret", fields.has("client_secret")),
            ]
            where !present {
                context.error(
                    "check.missing-key", "\(what) verifies by introspection but has no `\(key)`",
                    at: fields.keyLocation("verify"), help: "introspection authenticates with the client id and secret")
            }
        }
        let audiences = fields["audiences"].flatMap { context.strings($0, "`audiences` of \(what)") } ?? []
        if verify == .jwt && audiences.isEmpty && !fields.has("audiences") {
            context.warning(
                "check.no-audience", "\(what) accepts tokens issued for any audience", at: id.location,
                help: "set `audiences` to the audience your API's tokens carry (Okta: `api://default`)")
        }
        return Provider(
            id: id.value, location: id.location, kind: kind, issuer: issuer, endpoints: endpoints,
            audiences: audiences.map(\.value), verify: verify,
            algorithms: fields["algorithms"].flatMap { readAlgorithms($0, what) } ?? [.rs256],
            leeway: fields["leeway"].flatMap { context.duration($0, "`leeway`") } ?? .seconds(60),
            cache: fields["cache"].flatMap { context.duration($0, "`cache`") } ?? .seconds(300),
            claims: fields["claims"].flatMap { readClaimMapping($0, what) } ?? ClaimMapping(),
            clientID: clientID, clientSecret: secret)
    }

    private func checkPresetValue(key: String, _ value: Located<String>) {
        switch key {
        case "domain" where value.value.contains("/") || value.value.contains(":"):
            context.error(
                "check.invalid-value", "`domain` is a host name, not a URL (found `\(value.value)`)",
                at: value.location,
                help: "write the host only, e.g. `dev-123456.okta.com`")
        case "url", "issuer":
            _ = readURL(.scalar(YAMLScalar(text: value.value, isPlain: false, location: value.location)), "`\(key)`")
        case "realm", "tenant", "authorization_server":
            if !Self.isIdentifier(value.value.replacingOccurrences(of: ".", with: "-")) {
                context.error("check.invalid-value", "`\(value.value)` is not a valid `\(key)`", at: value.location)
            }
        default:
            break
        }
    }

    /// An `https` URL, or `http` to a loopback address (for local providers and tests).
    private func readURL(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = context.string(node, what) else { return nil }
        guard let components = URLComponents(string: text.value), let host = components.host, !host.isEmpty,
            components.scheme == "https" || (components.scheme == "http" && Self.isLoopback(host))
        else {
            context.error(
                "check.invalid-url", "\(what) must be an `https://` URL (found `\(text.value)`)", at: text.location,
                help: "plain `http://` is accepted only for localhost and 127.0.0.1")
            return nil
        }
        return text.value
    }

    /// Whether `host` is exactly `localhost`, an IPv4 address in 127.0.0.0/8 written as four
    /// decimal numbers, or the IPv6 loopback address; never a name that merely starts like one
    /// (`127.attacker.example`).
    static func isLoopback(_ host: String) -> Bool {
        if host.equalsIgnoringCase("localhost") { return true }
        let unbracketed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if ["::1", "0:0:0:0:0:0:0:1"].contains(unbracketed) { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { part -> Int? in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0"
            else { return nil }
            return Int(part).flatMap { $0 <= 255 ? $0 : nil }
        }
        return parts.count == 4 && numbers.count == 4 && numbers[0] == 127
    }

    private func readAlgorithms(_ node: YAMLNode, _ what: String) -> [SignatureAlgorithm]? {
        guard let names = context.strings(node, "`algorithms` of \(what)") else { return nil }
        var algorithms: [SignatureAlgorithm] = []
        for name in names {
            if let algorithm = SignatureAlgorithm(rawValue: name.value) {
                algorithms.append(algorithm)
                continue
            }
            let help: String
            if name.value.lowercased() == "none" {
                help = "unsigned tokens are never accepted"
            } else if name.value.uppercased().hasPrefix("HS") {
                help = "HMAC algorithms need a shared secret; Gatehouse verifies with the provider's public keys only"
            } else {
                help = Suggestion.help(for: name.value, in: SignatureAlgorithm.allCases.map(\.rawValue)) ?? ""
            }
            context.error(
                "check.invalid-algorithm", "`\(name.value)` is not an accepted signature algorithm", at: name.location,
                help: help)
        }
        return algorithms.count == names.count ? algorithms : nil
    }

    private func readClaimMapping(_ node: YAMLNode, _ what: String) -> ClaimMapping? {
        guard let fields = context.mapping(node, "`claims` of \(what)", allowed: ["username", "groups", "scopes"])
        else { return nil }
        var mapping = ClaimMapping()
        if let path = fields["username"].flatMap({ readClaimPath($0, "`claims.username`") }) { mapping.username = path }
        if let path = fields["groups"].flatMap({ readClaimPath($0, "`claims.groups`") }) { mapping.groups = path }
        mapping.scopes = fields["scopes"].flatMap { readClaimPath($0, "`claims.scopes`") }
        return mapping
    }

    func readClaimPath(_ node: YAMLNode, _ what: String) -> ClaimPath? {
        guard let text = context.string(node, what) else { return nil }
        let path = ClaimPath(text.value)
        guard path.isValid else {
            context.error(
                "check.invalid-value", "`\(text.value)` is not a valid claim name for \(what)", at: text.location)
            return nil
        }
        return path
    }

    static let inlineSecret = (
        code: "check.inline-secret", message: "secrets are never written in the policy itself",
        help: "use `{env: VARIABLE}` or `{file: /path/to/secret}`"
    )

    private func readSecret(_ node: YAMLNode, _ what: String) -> SecretReference? {
        guard case .mapping = node else {
            context.report(
                .error(
                    Self.inlineSecret.code, "\(what) is written inline: \(Self.inlineSecret.message)",
                    at: node.location, help: Self.inlineSecret.help
                ).hidingSecret(from: node.location.column))
            return nil
        }
        guard let fields = context.mapping(node, what, allowed: ["env", "file"]) else { return nil }
        switch (fields["env"], fields["file"]) {
        case (let env?, nil): return context.string(env, "`env` of \(what)").map { .environment($0.value) }
        case (nil, let file?): return context.string(file, "`file` of \(what)").map { .file($0.value) }
        default:
            context.error("check.invalid-value", "\(what) needs exactly one of `env` and `file`", at: fields.location)
            return nil
        }
    }

    func readAPITokens(_ node: YAMLNode) -> [APIToken] {
        guard case .sequence(let items, _) = node else {
            context.wrongType(node, "`api_tokens`", expected: "a list")
            return []
        }
        var ids: [String: SourceLocation] = [:]
        return items.compactMap { item in
            guard
                let fields = context.mapping(
                    item, "an API token", allowed: ["id", "sha256", "username", "scopes", "groups", "expires"],
                    required: ["id", "sha256", "username"], specialKeys: ["token": Self.inlineSecret])
            else { return nil }
            guard let id = fields["id"].flatMap({ context.string($0, "`id` of an API token") }),
                let hash = fields["sha256"].flatMap({ context.string($0, "`sha256` of API token `\(id.value)`") }),
                let username = fields["username"].flatMap({
                    context.string($0, "`username` of API token `\(id.value)`")
                })
            else { return nil }
            if let first = ids.updateValue(id.location, forKey: id.value) {
                context.error(
                    "check.duplicate-id", "API token id `\(id.value)` is used twice", at: id.location,
                    help: "first used at line \(first.line)")
            }
            let digest = hash.value.lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                context.error(
                    "check.invalid-hash", "`sha256` of API token `\(id.value)` must be 64 hex digits",
                    at: hash.location,
                    help: "compute it with `printf %s \"$TOKEN\" | sha256sum`")
                return nil
            }
            return APIToken(
                id: id.value, sha256: digest, username: username.value,
                scopes: fields["scopes"].flatMap { context.strings($0, "`scopes`", allowEmpty: true) }?.map(\.value)
                    ?? [],
                groups: fields["groups"].flatMap { context.strings($0, "`groups`", allowEmpty: true) }?.map(\.value)
                    ?? [],
                expires: fields["expires"].flatMap { context.date($0, "`expires`") })
        }
    }

    func readBasic(_ node: YAMLNode) -> [BasicUser] {
        guard let fields = context.mapping(node, "`basic`", allowed: ["users", "htpasswd"]) else { return [] }
        if !fields.has("users") && !fields.has("htpasswd") {
            context.error("check.missing-key", "`basic` needs `users` or `htpasswd`", at: fields.location)
        }
        var users = fields["users"].map(readBasicUsers) ?? []
        if let node = fields["htpasswd"], let path = context.string(node, "`htpasswd`") {
            users += readHtpasswd(path)
        }
        var seen: Set<String> = []
        for user in users where !seen.insert(user.username).inserted {
            context.error(
                "check.duplicate-id", "Basic user `\(user.username)` is defined twice",
                at: fields.keyLocation("htpasswd") ?? fields.location)
        }
        return users
    }

    private func readBasicUsers(_ node: YAMLNode) -> [BasicUser] {
        guard case .sequence(let items, _) = node else {
            context.wrongType(node, "`basic.users`", expected: "a list")
            return []
        }
        return items.compactMap { item in
            guard
                let user = context.mapping(
                    item, "a Basic user", allowed: ["username", "bcrypt"], required: ["username", "bcrypt"],
                    specialKeys: ["password": Self.inlineSecret]),
                let name = user["username"].flatMap({ context.string($0, "`username`") }),
                let hash = user["bcrypt"].flatMap({ context.string($0, "`bcrypt`") })
            else { return nil }
            guard Self.isBcrypt(hash.value) else {
                context.error(
                    "check.invalid-hash", "`bcrypt` of Basic user `\(name.value)` is not a bcrypt hash",
                    at: hash.location,
                    help: "create one with `htpasswd -nbB USER PASSWORD` and keep the part after the colon")
                return nil
            }
            return BasicUser(username: name.value, bcrypt: hash.value)
        }
    }

    /// Users from an htpasswd file (relative to the policy's folder). Only bcrypt entries
    /// (`htpasswd -B`) are accepted: MD5 (`$apr1$`), SHA-1 and crypt hashes are refused.
    private func readHtpasswd(_ path: Located<String>) -> [BasicUser] {
        let text: String
        do {
            let read = try files.read(Self.resolve(path.value, from: file))
            referenced.add(read)
            text = read.text
        } catch {
            context.error("check.invalid-value", "the htpasswd file `\(path.value)` cannot be read", at: path.location)
            return []
        }
        var users: [BasicUser] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let entry = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                context.error(
                    "check.invalid-value", "line \(number + 1) of `\(path.value)` is not `user:hash`", at: path.location
                )
                continue
            }
            let name = String(entry[..<colon])
            let hash = String(entry[entry.index(after: colon)...])
            guard Self.isBcrypt(hash) else {
                context.error(
                    "check.invalid-hash",
                    "line \(number + 1) of `\(path.value)`: user `\(name)` does not have a bcrypt hash",
                    at: path.location,
                    help: "only bcrypt entries are accepted; recreate them with `htpasswd -B`")
                continue
            }
            users.append(BasicUser(username: name, bcrypt: hash))
        }
        return users
    }

    /// `path` as named in the policy at `policy`: absolute, or relative to the policy's folder.
    static func resolve(_ path: String, from policy: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let folder = policy.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        return folder.isEmpty ? path : folder.joined(separator: "/") + "/" + path
    }

    static func isBcrypt(_ hash: String) -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return parts.count == 4 && parts[0].isEmpty && ["2a", "2b", "2y"].contains(parts[1])
            && parts[2].count == 2 && parts[2].allSatisfy(\.isNumber) && parts[3].count == 53
            && parts[3].allSatisfy(alphabet.contains)
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
