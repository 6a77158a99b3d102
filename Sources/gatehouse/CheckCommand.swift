import ArgumentParser
import Foundation
import Gatehouse
import GatehouseServer

/// `gatehouse check`: load, check and compile policies without evaluating anything.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check policy files and report every problem with its location.",
        discussion: """
            Example:
              gatehouse check policies/confluence-okta.yaml
              gatehouse check --format github policies/*.yaml
              gatehouse check --show-providers policies/multi-provider.yaml
              gatehouse check --gateway-config nginx policies/confluence-okta.yaml

            Exits 0 when every file is clean, 1 when any error or warning is found, \
            65 when a file cannot be read.
            """
    )

    @Argument(help: "Policy files to check.")
    var policies: [String]

    @Option(help: "Output format: text, json or github (GitHub Actions annotations).")
    var format: CheckFormat = .text

    @Flag(help: "Print each provider's issuer and endpoints, with presets expanded.")
    var showProviders = false

    @Option(
        help: ArgumentHelp(
            "Print the lines of a gateway's configuration (nginx, envoy, traefik, caddy or ingress-nginx) that carry the policy's identity headers.",
            valueName: "gateway"))
    var gatewayConfig: GatewayConfiguration?

    func run() throws {
        var sources: [SourceFile] = []
        var diagnostics: [Diagnostic] = []
        var checked: [(file: String, policy: Policy?)] = []
        var unreadable = false
        for path in policies {
            let loaded = Loading.policyOrBundle(path)
            if let error = loaded.unreadable {
                Standard.error("error: \(error)\n")
                unreadable = true
                continue
            }
            sources += loaded.sources
            let keys = loaded.policy.map { keyProblems($0, path) } ?? []
            diagnostics += (loaded.diagnostics + keys).sorted()
            checked.append((path, keys.isEmpty ? loaded.policy : nil))
        }
        let renderer = DiagnosticRenderer(sources: sources)
        switch format {
        case .json:
            let providers =
                showProviders ? checked.compactMap(\.policy).flatMap(\.providers).map(ProviderSummary.init) : nil
            Standard.out(
                JSONText.encode(
                    CheckReport(
                        diagnostics: diagnostics.map(DiagnosticReport.init), providers: providers)))
        case .github:
            Standard.out(renderer.render(diagnostics, as: .github))
        case .text:
            Standard.out(renderer.render(diagnostics, as: .text))
            for (file, policy) in checked {
                let own = diagnostics.filter { $0.location?.file == file }
                if let policy, showProviders { Standard.out(ProviderSummary.text(policy.providers)) }
                if let policy, let gatewayConfig {
                    Standard.out(gatewayConfig.lines(for: policy))
                }
                Standard.out(summary(file, policy, own))
            }
        }
        if unreadable { throw Exit.unreadable }
        if !diagnostics.isEmpty { throw Exit.findings }
    }

    /// Whether the server could read the policy's assertion keys: from this disk, a relative path
    /// from the policy's folder, or only absolute paths for a bundle's policy.
    private func keyProblems(_ policy: Policy, _ path: String) -> [Diagnostic] {
        guard let settings = policy.assertion else { return [] }
        let folder = Loading.isBundle(path) ? nil : URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard case .failure(let problem) = AssertionSigner.load(settings, folder: folder) else { return [] }
        return [problem.diagnostic]
    }

    private func summary(_ file: String, _ policy: Policy?, _ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        guard let policy else { return "\(file): \(errors) error(s), \(warnings) warning(s)\n" }
        let shape = "\(policy.rules.count) rule(s), \(policy.providers.count) provider(s)"
        return warnings == 0 ? "\(file): ok (\(shape))\n" : "\(file): \(warnings) warning(s) (\(shape))\n"
    }
}

/// `check --format json`.
struct CheckReport: Encodable {
    let diagnostics: [DiagnosticReport]
    let providers: [ProviderSummary]?
}

/// One diagnostic in `check --format json`.
struct DiagnosticReport: Encodable {
    let code, severity, message: String
    let file: String?
    let line, column: Int?
    let help: String?

    init(_ diagnostic: Diagnostic) {
        code = diagnostic.code
        severity = diagnostic.severity.rawValue
        message = diagnostic.message
        file = diagnostic.location?.file
        line = diagnostic.location?.line
        column = diagnostic.location?.column
        help = diagnostic.help
    }
}

extension GatewayConfiguration: ExpressibleByArgument {}
