import Foundation
import Testing
@testable import KeyscanModel

/// Weights files the fuzzer (`tools/fuzz/fuzz.sh weights`) found crashing the loader, kept as
/// they were found in Fixtures/fuzz: each is now refused with a precise error.
@Suite struct WeightsFuzzRegressionTests {
    static func fuzzInput(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/fuzz") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/fuzz/\(name).safetensors"])
        }
        return try Data(contentsOf: url)
    }

    /// A valid nf = 1 model whose metadata says nf = 2^61: deriving the layer shapes
    /// (8·nf channels) overflowed Int and trapped before any check could refuse the file.
    @Test func widthThatOverflowsLayerShapes() throws {
        let data = try Self.fuzzInput("nf-2-61")
        #expect(throws: ModelError.invalidMetadata(key: "nf", got: "2305843009213693952", expected: "at most 1024")) {
            try KeyNet(data: data)
        }
    }
}
