import CZlib
import Foundation

/// gzip (and zlib) decoding with the system's zlib, bounded so a small body cannot inflate into
/// more memory than the server allows.
enum Gzip {
    enum Failure: Error, Equatable {
        case corrupt(String)
        case tooLarge(limit: Int)
    }

    /// The decoded bytes of a gzip or zlib stream; throws when it is corrupt or decodes to more than `limit` bytes.
    static func decode(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(limit, max(input.count * 4, 1 << 16)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { (inBuf) throws(Failure) in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced > 0) {
                    let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    throw .corrupt(message)
                }
                if output.count + produced > limit { throw .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END { break }
                if produced == 0 && stream.avail_in == 0 { throw .corrupt("the gzip stream ends early") }
            } while true
        }
        return output
    }
}
