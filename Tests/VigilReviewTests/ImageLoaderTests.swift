import Foundation
import Testing
import VigilCore
import VigilImaging
@testable import VigilStore
@testable import VigilReview

@Suite("image loading and item preparation")
struct ImageLoaderTests {
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "vigil-images-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        return dir
    }

    @Test("PNG and JPEG by their first bytes, from a relative path or file://; other bytes are an error")
    func localFiles() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scene = ReviewFixture.scene(1, width: 64, height: 48)
        try PNGCodec.write(scene, to: URL(fileURLWithPath: dir + "/images/a.png"))
        try JPEGCodec.encode(scene).write(to: URL(fileURLWithPath: dir + "/images/b.jpg"))
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: dir + "/images/c.gif"))
        let loader = ImageLoader(baseDirectory: dir, cacheDirectory: dir + "/cache")
        #expect(try loader.load("images/a.png") == scene)
        #expect(try loader.load("file://\(dir)/images/b.jpg").width == 64)
        #expect(throws: ImageLoader.Failure.self) { try loader.load("images/c.gif") }
        #expect(throws: ImageLoader.Failure.self) { try loader.load("images/missing.png") }
    }

    @Test("an http URL is fetched once and then read from the cache")
    func httpCache() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scene = ReviewFixture.scene(2, width: 32, height: 24)
        try PNGCodec.write(scene, to: URL(fileURLWithPath: dir + "/images/x.png"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", """
            import http.server, os
            os.chdir('\(dir)/images')
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)
            open('\(dir)/port.tmp', 'w').write(str(s.server_address[1])); os.rename('\(dir)/port.tmp', '\(dir)/port')
            s.serve_forever()
            """]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test runner's signal mask (inherited by the server) blocks SIGTERM.
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var port: String?
        for _ in 0..<200 where port == nil {
            port = try? String(contentsOfFile: dir + "/port", encoding: .utf8)
            if port == nil { usleep(25_000) }
        }
        let url = "http://127.0.0.1:\(try #require(port))/x.png"
        let loader = ImageLoader(baseDirectory: dir, cacheDirectory: dir + "/cache", timeout: 5)
        #expect(try loader.load(url) == scene)
        #expect(FileManager.default.fileExists(atPath: dir + "/cache/" + SHA256.hex(url)))
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(try loader.load(url) == scene)  // the server is gone: from the cache
        #expect(throws: ImageLoader.Failure.self) { try loader.load("http://127.0.0.1:\(port!)/other.png") }
    }

    @Test("a payload gives the top-k, the boxes, the attributes, and the image or why there is none")
    func prepare() throws {
        let payload = #"{"scores":{"can":0.2,"jar":0.7,"box":0.1},"boxes":[{"label":"can","score":0.9,"bbox":[1,2,3,4]}],"input":{"uri":"nothing.png","attributes":{"camera":"c2"},"data":"shelf 4"},"image":{"width":320,"height":200,"file_name":"a.png"}}"#
        let claim = ReviewClaim(assignment: 1, item: 1, model: "shelf", predictionID: "p", predictedClass: "jar", score: 0.7,
                                payload: payload, reviewer: "ana", leaseUntil: 0, isGold: false)
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let item = PreparedItem.prepare(claim, schema: classifier, images: ImageLoader(baseDirectory: dir, cacheDirectory: dir))
        #expect(item.topK.map(\.label) == ["jar", "can", "box"])
        #expect(item.boxes == [PreparedItem.PredictedBox(label: "can", score: 0.9, x: 1, y: 2, width: 3, height: 4)])
        #expect(item.details == ["camera: c2", "data: shelf 4", "image.file_name: a.png"])
        #expect(item.image == nil && item.imageProblem?.contains("cannot read the file") == true)
        #expect(item.imageSize == (320, 200))
    }
}
