// swift-tools-version: 6.0
import Foundation
import PackageDescription

// libFuzzer targets for keyscan, kept out of the main package so its manifest carries no
// fuzz-only flags. Build and run them with tools/fuzz/fuzz.sh, which passes
// `-sanitize=fuzzer,address` to every module (ours included, so libFuzzer sees our
// branches) — this manifest only sets what a fuzzer executable needs.
//
// Every folder under Targets/ is one fuzzer, an executable of the same name whose
// main.swift passes its per-input function to `fuzz` (Support/FuzzSupport, which runs
// libFuzzer's driver). Besides its Swift files a folder may hold `make_seeds` (writes the seed corpus into the folder given as its argument),
// `fuzz.dict` (a libFuzzer dictionary) and `options` (extra libFuzzer flags); adding a
// fuzzer is adding a folder.

let targetsDirectory = URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent("Targets")
let fuzzers = (try? FileManager.default.contentsOfDirectory(atPath: targetsDirectory.path))?
    .filter { !$0.hasPrefix(".") }.sorted() ?? []

/// Everything in a target's folder that is not Swift, so SwiftPM does not warn about it.
func nonSwiftFiles(_ name: String) -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: targetsDirectory.appendingPathComponent(name).path)) ?? []
    return files.filter { !$0.hasSuffix(".swift") }.sorted()
}

let package = Package(
    name: "keyscan-fuzz",
    dependencies: [.package(name: "keyscan", path: "../..")],
    targets: [
        .systemLibrary(name: "CLibFuzzer", path: "Support/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "Keyscan", package: "keyscan")],
                path: "Support/FuzzSupport"),
    ] + fuzzers.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "Keyscan", package: "keyscan"),
                .product(name: "KeyscanModel", package: "keyscan"),
                .product(name: "KeyscanDecode", package: "keyscan"),
                .product(name: "KeyscanServe", package: "keyscan"),
                .product(name: "KeyscanMix", package: "keyscan"),
            ],
            path: "Targets/\(name)",
            exclude: nonSwiftFiles(name))
    }
)
