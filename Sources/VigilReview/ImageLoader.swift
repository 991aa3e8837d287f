import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VigilCore
import VigilImaging

/// Loads and decodes an input image: a local path (relative to the workspace), a `file://` URL,
/// or an `http(s)://` URL fetched with URLSession and kept in an on-disk cache
/// (`.vigil/review-cache/<sha256 of the URL>`), so a second look or a second reviewer on the
/// same machine does not fetch it again. PNG and JPEG are told apart by their first bytes.
public struct ImageLoader: Sendable {
    /// Why an image could not be shown.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let baseDirectory: String
    public let cacheDirectory: String
    public let timeout: TimeInterval

    public init(baseDirectory: String, cacheDirectory: String, timeout: TimeInterval = 10) {
        self.baseDirectory = baseDirectory
        self.cacheDirectory = cacheDirectory
        self.timeout = timeout
    }

    public func load(_ uri: String) throws -> RGBImage {
        try Self.decode(bytes(uri), name: uri)
    }

    /// PNG or JPEG, by signature.
    public static func decode(_ data: Data, name: String) throws -> RGBImage {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNGCodec.decode(data) }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEGCodec.decode(data) }
        throw Failure(description: "\(name): neither PNG nor JPEG")
    }

    /// The bytes behind `uri`, from the cache when it is a URL fetched before.
    public func bytes(_ uri: String) throws -> Data {
        if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            let cached = cacheDirectory + "/" + SHA256.hex(uri)
            if let data = FileManager.default.contents(atPath: cached) { return data }
            let data = try fetch(uri)
            try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            try? data.write(to: URL(fileURLWithPath: cached), options: .atomic)
            return data
        }
        var path = uri.hasPrefix("file://") ? String(uri.dropFirst("file://".count)) : uri
        if !path.hasPrefix("/") { path = baseDirectory + "/" + path }
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): cannot read the file") }
        return data
    }

    private func fetch(_ uri: String) throws -> Data {
        guard let url = URL(string: uri) else { throw Failure(description: "\(uri): not a URL") }
        final class Box: @unchecked Sendable { var result: Result<Data, any Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(Failure(description: "\(uri): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                box.result = .failure(Failure(description: "\(uri): HTTP \(http.statusCode)"))
            } else {
                box.result = .success(data ?? Data())
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut { throw Failure(description: "\(uri): no answer within \(Int(timeout)) s") }
        return try box.result!.get()
    }
}
