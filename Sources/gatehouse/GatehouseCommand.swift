import ArgumentParser

/// The `gatehouse` command line.
@main
struct GatehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Policy-as-data authentication for REST APIs, in front of any gateway.",
        discussion: """
            Exit codes: `evaluate` 0 allow, 1 deny; `check` 0 clean, 1 findings; `test` 0 all \
            pass, 1 any failure; `diff` 0 no change, 1 changes; 64 usage; 65 a policy or input that cannot be read.
            """,
        version: "0.1.0",
        subcommands: [
            CheckCommand.self, TestCommand.self, DiffCommand.self, EvaluateCommand.self, WhoamiCommand.self,
            TokenCommand.self, BundleCommand.self,
            ServeCommand.self,
        ]
    )
}

/// Exit codes shared by every subcommand.
enum Exit {
    static let findings = ExitCode(1)
    static let usage = ExitCode(64)
    static let unreadable = ExitCode(65)
}

/// Output format of `check`.
enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github
}

/// Output format of `evaluate`.
enum DecisionFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
