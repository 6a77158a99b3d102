// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// `GATEHOUSE_FUZZ=1` (scripts/fuzz): our targets built with libFuzzer's coverage and
/// AddressSanitizer, and the `GatehouseFuzz` executable; dependencies are built as usual.
let fuzzing = ProcessInfo.processInfo.environment["GATEHOUSE_FUZZ"] == "1"
let sanitizers = ["-sanitize=fuzzer,address"]

let strict: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny")
    ] + (fuzzing ? [.unsafeFlags(sanitizers)] : [])

let package = Package(
    name: "Gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        .executable(name: "gatehouse", targets: ["gatehouse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    ],
    targets: [
        .target(
            name: "Gatehouse",
            dependencies: ["CYAML"],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        .target(
            name: "GatehouseIdentity",
            dependencies: [
                "Gatehouse",
                "CCrypt",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GatehouseBundle",
            dependencies: [
                "Gatehouse",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GatehouseServer",
            dependencies: [
                "Gatehouse", "GatehouseIdentity", "GatehouseBundle",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GatehouseTesting",
            dependencies: [
                "Gatehouse", "GatehouseIdentity",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "Gatehouse", "GatehouseBundle",
                "GatehouseTesting",
                "GatehouseIdentity",
                "GatehouseServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "GatehouseBenchmark",
            dependencies: [
                "Gatehouse", "GatehouseIdentity",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Benchmarks/GatehouseBenchmark",
            swiftSettings: strict
        ),
        .target(
            name: "GatehouseFuzzing",
            dependencies: [
                "Gatehouse", "GatehouseIdentity", "GatehouseTesting", "GatehouseServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseTests",
            dependencies: ["Gatehouse", "GatehouseTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseIdentityTests",
            dependencies: [
                "GatehouseIdentity", "Gatehouse",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseServerTests",
            dependencies: [
                "GatehouseServer", "Gatehouse", "GatehouseBundle", "GatehouseIdentity", "GatehouseTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseBundleTests",
            dependencies: [
                "GatehouseBundle", "Gatehouse",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseFuzzingTests",
            dependencies: ["GatehouseFuzzing"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseTestingTests",
            dependencies: ["GatehouseTesting", "Gatehouse"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "gatehouseTests",
            dependencies: ["gatehouse"],
            exclude: ["Golden", "Requests"],
            swiftSettings: strict
        ),
    ] + (fuzzing ? [fuzzTarget] : []),
    swiftLanguageModes: [.v6]
)

/// The fuzz executable: libFuzzer's `main`, one harness per run (`GATEHOUSE_FUZZ_TARGET`).
var fuzzTarget: Target {
    .executableTarget(
        name: "GatehouseFuzz", dependencies: ["GatehouseFuzzing"], path: "Fuzz/GatehouseFuzz",
        swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])],
        linkerSettings: [.unsafeFlags(sanitizers)])
}
