import Foundation
import Testing
import VigilJobs

/// A rejects file that cannot be written stops `vigil ingest` with the file, the reason in words
/// and `--rejects PATH` — not "NSCocoaErrorDomain Code=640" naming no file.
@Suite struct RejectsFileErrorTests {
    /// A workspace and an input whose second line is bad, so a rejects file is written.
    func workspaceWithBadInput() throws -> (dir: String, input: String) {
        let dir = NSTemporaryDirectory() + "vigil-rejects-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = try VigilProcess.run(["init", "--dir", dir])
        let input = dir + "/bad.ndjson"
        try [predictionLine("a"), #"{"id":"b","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can","score":"x"}"#]
            .joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        return (dir, input)
    }

    /// A parent that is a regular file cannot hold the rejects file, even for root.
    @Test func anUnwritablePlaceNamesTheFileAndTheOption() throws {
        let (dir, input) = try workspaceWithBadInput()
        let rejects = input + "/bad.ndjson.rejects.ndjson"
        let r = try VigilProcess.run(["ingest", "predictions", input, "--workspace", dir, "--rejects", rejects])
        #expect(r.status == 2, "\(r.stdout)")
        #expect(r.stderr.contains("cannot write the rejects file \(rejects): "), "\(r.stderr)")
        #expect(r.stderr.contains("; pass --rejects PATH to write it elsewhere"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Code="), "\(r.stderr)")
    }

    /// A really full disk: a 12 KiB tmpfs, filled, mounted in a mount namespace of the test's own
    /// (`unshare -m`, so nothing outside sees it). Needs root; elsewhere the errno test stands in.
    @Test func aFullDiskSaysNoSpaceAndNamesTheFile() throws {
        let unshare = "/usr/bin/unshare"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: unshare) else { return }
        let (dir, input) = try workspaceWithBadInput()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mountPoint = dir + "/full"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let rejects = mountPoint + "/bad.rejects.ndjson"
        let script = """
            mount -t tmpfs -o size=12k tmpfs "$1" || exit 90
            dd if=/dev/zero of="$1/filler" bs=1k count=64 2>/dev/null
            "$2" ingest predictions "$3" --workspace "$4" --rejects "$5"
            """
        // The launcher puts the vigil binary between the two argument lists: it becomes $2.
        let r = try VigilProcess.run([input, dir, rejects], launcher: [unshare, "-m", "/bin/sh", "-c", script, "sh", mountPoint])
        guard r.status != 90 else { return }  // no mount namespaces here (a restricted container)
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("cannot write the rejects file \(rejects): no space left on device; pass --rejects PATH to write it elsewhere"), "\(r.stderr)")
    }

    @Test func errnoAndCocoaCodesBecomeWords() {
        #expect(FileErrorReason.words(CocoaError(.fileWriteOutOfSpace)) == "no space left on device")
        #expect(FileErrorReason.words(CocoaError(.fileWriteNoPermission)) == "permission denied")
        #expect(FileErrorReason.words(CocoaError(.fileWriteVolumeReadOnly)) == "read-only file system")
        #expect(FileErrorReason.words(CocoaError(.fileNoSuchFile)) == "no such directory")
        #expect(FileErrorReason.words(POSIXError(.EACCES)) == "permission denied")
        #expect(FileErrorReason.words(POSIXError(.EROFS)) == "read-only file system")
        #expect(FileErrorReason.words(POSIXError(.ENOENT)) == "no such directory")
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                              userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(FileErrorReason.words(wrapped) == "no space left on device")
    }
}
