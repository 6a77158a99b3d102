import Foundation
import GatehouseFuzzing

/// The harness this process fuzzes: `GATEHOUSE_FUZZ_TARGET`, one of ``FuzzHarness/all``.
let harness: @Sendable ([UInt8]) async -> Void = {
    let name = ProcessInfo.processInfo.environment["GATEHOUSE_FUZZ_TARGET"] ?? ""
    guard let harness = FuzzHarness.all[name] else {
        fatalError("GATEHOUSE_FUZZ_TARGET must be one of \(FuzzHarness.all.keys.sorted())")
    }
    return harness
}()

/// libFuzzer's entry point: one input to the harness (run to its end, async parts included).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    FuzzHarness.runBlocking(harness, Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}

/// libFuzzer's driver, run from the entry point SwiftPM gives an executable (`GatehouseFuzz_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("GatehouseFuzz_main")
func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments, fuzz)
}
