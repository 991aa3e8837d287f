import CJPEGShim
import Foundation

/// JPEG reading (and writing, for fixtures and tests) through Debian's libjpeg (`libjpeg-dev`).
///
/// libjpeg's default error handler calls `exit()`; the C shim installs one that jumps back, so a
/// damaged file is a thrown ``Failure``, never the end of the process.
public enum JPEGCodec {
    /// Why a JPEG could not be read or written; the message is libjpeg's own.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decodes baseline or progressive JPEG bytes (colour or grayscale) to 8-bit RGB.
    public static func decode(_ data: Data) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = data.withUnsafeBytes { raw in
            vigil_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &pixels, &width, &height, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw Failure(description: "not a readable JPEG: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { vigil_jpeg_free(pixels) }
        let count = Int(width) * Int(height) * 3
        return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes an RGB image as a baseline JPEG (quality 1–100).
    public static func encode(_ rgb: RGBImage, quality: Int = 90) throws -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = rgb.pixels.withUnsafeBufferPointer { p in
            vigil_jpeg_encode(p.baseAddress, Int32(rgb.width), Int32(rgb.height), Int32(max(1, min(100, quality))), &out, &size, &message, message.count)
        }
        guard status == 0, let out else {
            throw Failure(description: "cannot encode JPEG: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { vigil_jpeg_free(out) }
        return Data(bytes: out, count: size)
    }
}
