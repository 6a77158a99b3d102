// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        .executable(name: "gatehouse", targets: ["gatehouse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    ],
    targets: [
        .target(
            name: "Gatehouse",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "GatehouseTesting",
            dependencies: ["Gatehouse"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "Gatehouse",
                "GatehouseTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "GatehouseBenchmark",
            dependencies: ["Gatehouse"],
            path: "Benchmarks/GatehouseBenchmark",
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseTests",
            dependencies: ["Gatehouse", "GatehouseTesting"],
            resources: [.copy("Fixtures")],
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
    ],
    swiftLanguageModes: [.v6]
)
