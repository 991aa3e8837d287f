import Foundation
import VigilCore

/// The safetensors file format (huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON header — `{"name": {"dtype": "F32", "shape": [...],
/// "data_offsets": [begin, end]}, …, "__metadata__": {string: string}}`, padded with spaces to
/// a multiple of 8 — then the little-endian tensor bytes, offsets relative to the data start.
/// Only `F32` tensors are written and read here.
public enum SafeTensors {
    /// One named tensor.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes; tensors are laid out in the given order.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var offset = 0
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append(JSONText.quote("__metadata__") + ":{" + metadata.keys.sorted().map { JSONText.quote($0) + ":" + JSONText.quote(metadata[$0]!) }.joined(separator: ",") + "}")
        }
        for t in tensors {
            precondition(t.values.count == t.shape.reduce(1, *), "\(t.name): \(t.values.count) values for shape \(t.shape)")
            let end = offset + 4 * t.values.count
            parts.append(JSONText.quote(t.name) + ":{\"dtype\":\"F32\",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in tensors {
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    /// The tensors (in data order) and metadata of a safetensors file's bytes.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw DetectorError("not a safetensors file: shorter than its 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else { throw DetectorError("not a safetensors file: header length \(n) exceeds the file") }
        let dataStart = 8 + Int(n)
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw DetectorError("not a safetensors file: the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [(Int, Tensor)] = []
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw DetectorError("safetensors header entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw DetectorError("tensor '\(name)' is \(dtype); Vigil's detector reads F32 only") }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == 4 * count, offsets[0] >= 0, dataStart + offsets[1] <= bytes.count else {
                throw DetectorError("tensor '\(name)': data_offsets \(offsets) do not fit shape \(shape) or the file")
            }
            var values = [Float](repeating: 0, count: count)
            var p = dataStart + offsets[0]
            for i in 0..<count {
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                values[i] = Float(bitPattern: bits)
                p += 4
            }
            tensors.append((offsets[0], Tensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.0 < $1.0 }.map(\.1), metadata)
    }
}
