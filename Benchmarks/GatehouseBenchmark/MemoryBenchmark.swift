import Foundation
import Gatehouse

#if os(Linux)
    @_silgen_name("malloc_trim")
    private func mallocTrim(_ pad: Int) -> Int32
#endif

/// Resident memory in KiB, after handing freed heap back to the system so only live data counts.
private func residentKiB() -> Int {
    #if os(Linux)
        _ = mallocTrim(0)
    #endif
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// What a loaded policy of 10,000 rules keeps resident: its text, the checked model, the
/// compiled policy; each step's growth per rule.
func memoryReport(rules count: Int = 10_000) {
    let start = residentKiB()
    var steps: [(String, Int)] = []
    let text = policyText(rules: count)
    steps.append(("policy text (\(text.utf8.count / 1024) KiB)", residentKiB()))
    let checked = PolicyChecker.check(SourceFile(name: "bench.yaml", text: text))
    guard let policy = checked.policy else { fatalError("the generated policy does not check") }
    steps.append(("checked model", residentKiB()))
    let compiled = PolicyCompiler.compile(policy)
    steps.append(("compiled policy", residentKiB()))
    var previous = start
    print("rules \(count); resident at start \(start) KiB")
    for (name, resident) in steps {
        let grown = resident - previous
        print(
            "  + \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%6d", grown)) KiB"
                + "  (\(grown * 1024 / count) bytes per rule)")
        previous = resident
    }
    withExtendedLifetime((text, checked, compiled)) {}
}
