import CPNG
import Foundation

/// PNG reading and writing through libpng's simplified API (`png_image_*`).
public enum PNGCodec {
    /// Why a PNG could not be read or written; the message is libpng's own.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decodes PNG bytes of any colour type and bit depth to 8-bit RGB (alpha composited on black).
    public static func decode(_ data: Data) throws -> RGBImage {
        var image = png_image()
        image.version = vigil_png_image_version
        let begun = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard begun != 0 else { throw Failure(description: "not a readable PNG: \(message(of: image))") }
        defer { png_image_free(&image) }
        image.format = vigil_png_format_rgb
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 1 << 28 else {
            throw Failure(description: "PNG of \(width)×\(height) pixels is empty or too large")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var black = png_color(red: 0, green: 0, blue: 0)
        let finished = pixels.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, &black, buffer.baseAddress, 0, nil)
        }
        guard finished != 0 else { throw Failure(description: "PNG data is damaged: \(message(of: image))") }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Reads and decodes a PNG file.
    public static func read(_ url: URL) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw Failure(description: "\(url.path): cannot read: \(error.localizedDescription)")
        }
        do { return try decode(data) } catch let failure as Failure {
            throw Failure(description: "\(url.path): \(failure.description)")
        }
    }

    /// Encodes an RGB image as an 8-bit RGB PNG.
    public static func encode(_ rgb: RGBImage) throws -> Data {
        var image = png_image()
        image.version = vigil_png_image_version
        image.width = UInt32(rgb.width)
        image.height = UInt32(rgb.height)
        image.format = vigil_png_format_rgb
        var size = 0
        // First call measures, second writes.
        let measured = rgb.pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, 0, nil)
        }
        guard measured != 0, size > 0 else { throw Failure(description: "cannot encode PNG: \(message(of: image))") }
        var out = Data(count: size)
        let written = out.withUnsafeMutableBytes { buffer in
            rgb.pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, raw.baseAddress, 0, nil)
            }
        }
        guard written != 0 else { throw Failure(description: "cannot encode PNG: \(message(of: image))") }
        out.count = size
        return out
    }

    /// Encodes and writes a PNG file atomically (a half-written file never appears under `url`).
    public static func write(_ rgb: RGBImage, to url: URL) throws {
        try encode(rgb).write(to: url, options: .atomic)
    }

    private static func message(of image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
