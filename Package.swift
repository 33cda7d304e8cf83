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
        // For tools/fuzz, whose weights fuzzer calls the loader directly, and whose decode
        // fuzzer the Ogg packet digest.
        .library(name: "KeyscanModel", targets: ["KeyscanModel"]),
        .library(name: "KeyscanDecode", targets: ["KeyscanDecode"]),
        .library(name: "KeyscanServe", targets: ["KeyscanServe"]),
        // For tools/fuzz's results and m3u fuzzers (the reader and the playlist parser).
        .library(name: "KeyscanMix", targets: ["KeyscanMix"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // C boundaries: each system library is visible only inside the module that wraps it.
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswresample-dev"])]),
        // libvorbisfile: the fallback for Ogg Vorbis files FFmpeg 5.1 refuses.
        .systemLibrary(
            name: "CVorbisFile", pkgConfig: "vorbisfile",
            providers: [.apt(["libvorbis-dev"])]),
        // libmpg123: MP3 audio on the fast path, mono-mixed and synthesised at a reduced rate.
        .systemLibrary(
            name: "CMPG123", pkgConfig: "libmpg123",
            providers: [.apt(["libmpg123-dev"])]),
        .systemLibrary(
            name: "CSoxr", pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "TagLibSystem", pkgConfig: "taglib",
            providers: [.apt(["libtag1-dev"])]),
        // TagLib is C++ and its C bindings cannot set arbitrary fields: a small C API over
        // its C++ API, used only by KeyscanTags.
        .target(name: "CTagLib", dependencies: ["TagLibSystem"]),

        // decode → cqt → model → results, one module per stage.
        .target(name: "KeyscanDecode", dependencies: ["CFFmpeg", "CVorbisFile", "CMPG123"]),
        .target(name: "KeyscanCQT", dependencies: ["CSoxr", "COpenBLAS"], swiftSettings: alwaysOptimized),
        .target(name: "KeyscanModel", dependencies: ["KeyscanCQT", "COpenBLAS"], swiftSettings: alwaysOptimized),
        .target(name: "KeyscanResults"),
        // Writing the key into the file's own tag, after analysis.
        .target(name: "KeyscanTags", dependencies: ["CTagLib", "KeyscanDecode"]),
        .target(name: "Keyscan", dependencies: ["KeyscanDecode", "KeyscanCQT", "KeyscanModel", "KeyscanResults"]),

        // Library-scale use: the result cache and the openkeyscan-compatible server.
        .target(name: "KeyscanCache", dependencies: ["KeyscanResults", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "KeyscanServe", dependencies: ["KeyscanResults"]),
        // What to play next (timeline ends and tuning), and the library as one HTML page.
        // KeyscanMix ranks every track's suggestions for a report: optimised in debug builds
        // too, as tools/report's benchmark runs them (20,000 tracks: 11.8 s of CPU, 6.2 s -O).
        .target(name: "KeyscanMix", dependencies: ["KeyscanResults"], swiftSettings: alwaysOptimized),
        .target(name: "KeyscanLibraryPage", dependencies: ["KeyscanResults", "KeyscanMix"]),

        .executableTarget(
            name: "KeyscanCLI",
            dependencies: ["Keyscan", "KeyscanDecode", "KeyscanCQT", "KeyscanResults", "KeyscanCache", "KeyscanServe", "KeyscanTags",
                           "KeyscanMix", "KeyscanLibraryPage",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .target(name: "KeyscanTestSupport", path: "Tests/KeyscanTestSupport"),
        .testTarget(name: "KeyscanDecodeTests", dependencies: ["KeyscanDecode", "KeyscanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanCQTTests", dependencies: ["KeyscanCQT"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanModelTests", dependencies: ["KeyscanModel", "KeyscanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeyscanResultsTests", dependencies: ["KeyscanResults"]),
        // GRDB to make caches as keyscan 2.1.0 did, with its migrator.
        .testTarget(name: "KeyscanCacheTests",
                    dependencies: ["KeyscanCache", "KeyscanTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "KeyscanServeTests", dependencies: ["KeyscanServe"]),
        .testTarget(name: "KeyscanMixTests", dependencies: ["KeyscanMix", "KeyscanTestSupport"]),
        .testTarget(name: "KeyscanLibraryPageTests", dependencies: ["KeyscanLibraryPage"]),
        .testTarget(name: "KeyscanTests", dependencies: ["Keyscan", "KeyscanTestSupport"]),
        .testTarget(name: "KeyscanTagsTests", dependencies: ["KeyscanTags", "KeyscanTestSupport"]),
        .testTarget(name: "KeyscanCLITests", dependencies: ["KeyscanCLI", "Keyscan", "KeyscanTestSupport"]),
    ]
)
