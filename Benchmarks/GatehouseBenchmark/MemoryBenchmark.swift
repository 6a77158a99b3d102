import Foundation
import Gatehouse

#if os(Linux)
    import CMalloc
#endif

/// Bytes of heap in use (allocated and not freed), in KiB.
private func liveKiB() -> Int {
    #if os(Linux)
        return Int(mallinfo2().uordblks) / 1024
    #else
        return 0
    #endif
}

/// Resident memory in KiB, after handing freed heap back to the system so only live data counts.
private func residentKiB() -> Int {
    #if os(Linux)
        _ = malloc_trim(0)
    #endif
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// What a loaded policy of 10,000 rules keeps resident: its text, the checked model, the
/// compiled policy, and what is left when the text and the checker's result are gone (what
/// `serve` keeps); each step's growth in resident memory and in live heap, per rule. `compacting`
/// copies the rules out of the checker's memory as ``PolicyLoader`` does; without it, for comparison
/// (in a process of its own: what one run leaves in the heap moves the next).
func memoryReport(rules count: Int = 10_000, compacting: Bool) {
    var steps: [(name: String, resident: Int, live: Int)] = [("start", residentKiB(), liveKiB())]
    func step(_ name: String) { steps.append((name, residentKiB(), liveKiB())) }
    var text: String? = policyText(rules: count)
    step("policy text (\(text!.utf8.count / 1024) KiB)")
    var checked: PolicyChecker.Result? = PolicyChecker.check(SourceFile(name: "bench.yaml", text: text!))
    guard let checkedPolicy = checked?.policy else { fatalError("the generated policy does not check") }
    let policy = compacting ? checkedPolicy.compacted() : checkedPolicy
    step(compacting ? "checked model, compacted" : "checked model")
    var compiled: CompiledPolicy? = PolicyCompiler.compile(policy)
    step("compiled policy")
    checked = nil
    text = nil
    step("text and checker released")
    print(
        "rules \(count)\(compacting ? "" : ", not compacted"); resident at start \(steps[0].resident) KiB, live heap \(steps[0].live) KiB"
    )
    print("  step                          resident KiB  per rule | live heap KiB  per rule")
    for (previous, now) in zip(steps, steps.dropFirst()) {
        let resident = now.resident - previous.resident
        let live = now.live - previous.live
        print(
            "  + \(now.name.padding(toLength: 26, withPad: " ", startingAt: 0))"
                + " \(String(format: "%8d %9d", resident, resident * 1024 / count))"
                + " | \(String(format: "%13d %9d", live, live * 1024 / count))")
    }
    print("  kept: resident \(steps.last!.resident) KiB, live heap \(steps.last!.live) KiB")
    withExtendedLifetime(compiled) {}
    compiled = nil
    print("  all released: resident \(residentKiB()) KiB, live heap \(liveKiB()) KiB")
}
