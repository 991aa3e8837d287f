import Foundation
import Testing
@testable import VigilDetector

struct SafeTensorsTests {
    @Test func layoutFollowsTheFormat() throws {
        let a = SafeTensors.Tensor(name: "a.weight", shape: [2, 3], values: [1, -2, 3.5, 0, 1e-8, -0])
        let b = SafeTensors.Tensor(name: "b", shape: [1], values: [42])
        let bytes = SafeTensors.encode([a, b], metadata: ["format": "pt", "note": "say \"hi\""])
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect((8 + n) % 8 == 0)
        #expect(bytes.count == 8 + n + 4 * 7)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        let ea = try #require(header["a.weight"] as? [String: Any])
        #expect(ea["dtype"] as? String == "F32" && ea["shape"] as? [Int] == [2, 3] && ea["data_offsets"] as? [Int] == [0, 24])
        #expect((header["b"] as? [String: Any])?["data_offsets"] as? [Int] == [24, 28])
        #expect((header["__metadata__"] as? [String: String])?["note"] == "say \"hi\"")
        // Little-endian float bits: 42.0 is 0x42280000.
        #expect(Array(bytes[(8 + n + 24)...]) == [0x00, 0x00, 0x28, 0x42])
        let back = try SafeTensors.decode(bytes)
        #expect(back.tensors == [a, b] && back.metadata["format"] == "pt")
    }

    @Test func rejectsWhatIsNotSafetensors() {
        #expect(throws: DetectorError.self) { try SafeTensors.decode([1, 2, 3]) }
        #expect(throws: DetectorError.self) { try SafeTensors.decode([255, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]) }
        var bytes = SafeTensors.encode([.init(name: "t", shape: [2], values: [1, 2])])
        bytes.removeLast()
        #expect(throws: DetectorError.self) { try SafeTensors.decode(bytes) }
    }
}
