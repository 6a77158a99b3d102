import Foundation
import Gatehouse

@testable import GatehouseIdentity

/// Paths and builders shared by the identity tests.
enum Support {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The third-party vectors, read in place from `../shared/vectors/`.
    static let vectors = root.deletingLastPathComponent().appendingPathComponent("shared/vectors")

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: vectors.appendingPathComponent(relative))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// A compiled policy with one `oidc` provider `idp` accepting `algorithms`.
    static func policy(
        algorithms: [SignatureAlgorithm] = SignatureAlgorithm.allCases, audiences: [String] = ["api"],
        leeway: String = "30s", provider: String = "", extra: String = ""
    ) throws -> CompiledPolicy {
        let yaml = """
            version: 1
            providers:
              idp:
                kind: oidc
                issuer: https://idp.example.com
                audiences: [\(audiences.joined(separator: ", "))]
                algorithms: [\(algorithms.map(\.rawValue).joined(separator: ", "))]
                leeway: \(leeway)
                claims: { username: preferred_username }
            \(provider)
            \(extra)
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        return try Support.compile(yaml, name: "identity.yaml")
    }

    /// Checks and compiles a policy that must be valid; its diagnostics are the error otherwise.
    static func compile(_ yaml: String, name: String) throws -> CompiledPolicy {
        let result = PolicyChecker.check(SourceFile(name: name, text: yaml))
        guard let policy = result.policy else {
            throw SupportError(message: DiagnosticRenderer(sources: []).render(result.diagnostics, as: .text))
        }
        return PolicyCompiler.compile(policy)
    }

    static func keySet(_ jwks: Any, allowed: [SignatureAlgorithm]) async throws -> SigningKeySet {
        let data = try JSONSerialization.data(withJSONObject: jwks)
        return try await SigningKeySet.load(jwks: Array(data), allowed: allowed)
    }
}

struct SupportError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
