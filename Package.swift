// swift-tools-version: 6.0
import PackageDescription

// The numeric stages are optimised in debug builds too: the test suite runs the real
// transform and network, which unoptimised Swift runs 20–50× slower.
let alwaysOptimized: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "keyscan",
    products: [
        .executable(name: "keyscan", targets: ["KeyscanCLI"]),
        .library(name: "Keyscan", targets: ["Keyscan"]),
        // For tools/fuzz, whose weights fuzzer calls the loader directly.
        .library(name: "KeyscanModel", targets: ["KeyscanModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C boundaries: each system library is visible only inside the module that wraps it.
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswresample-dev"])]),
        .systemLibrary(
            name: "CSoxr", pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // decode → cqt → model → report, one module per stage.
        .target(name: "KeyscanDecode", dependencies: ["CFFmpeg"]),
        .target(name: "KeyscanCQT", dependencies: ["CSoxr", "COpenBLAS"], swiftSettings: alwaysOptimized),
        .target(name: "KeyscanModel", dependencies: ["KeyscanCQT", "COpenBLAS"], swiftSettings: alwaysOptimized),
        .target(name: "KeyscanReport"),
        .target(name: "Keyscan", dependencies: ["KeyscanDecode", "KeyscanCQT", "KeyscanModel", "KeyscanReport"]),
        .executableTarget(
            name: "KeyscanCLI",
            dependencies: ["Keyscan", "KeyscanCQT", "KeyscanReport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "KeyscanDecodeTests", dependencies: ["KeyscanDecode"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanCQTTests", dependencies: ["KeyscanCQT"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanModelTests", dependencies: ["KeyscanModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanReportTests", dependencies: ["KeyscanReport"]),
        .testTarget(name: "KeyscanCLITests", dependencies: ["KeyscanCLI"]),
    ]
)
