import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VigilCore

/// The rejects file: one JSON object per rejected line, opened on the first reject.
///
/// A failure to create or write it (a full disk, a read-only directory) is a ``JobError`` that
/// names the file, says why in words (``FileErrorReason``) and points at `--rejects PATH`. The
/// first failure is kept, so ``close()`` reports it even when a caller ignored the write's error.
final class RejectsFile: @unchecked Sendable {
    let path: String
    private var fd: Int32 = -1
    private let lock = NSLock()
    private(set) var written = 0
    private var failure: JobError?

    init(path: String) { self.path = path }

    func write(_ e: RecordError, text: UnsafeBufferPointer<UInt8>?) throws {
        var json = "{\"line\":\(e.line)"
        if let f = e.field { json += ",\"field\":" + CSVRecordTranslator.quote(f) }
        json += ",\"reason\":" + CSVRecordTranslator.quote(e.reason)
        if let id = e.id { json += ",\"id\":" + CSVRecordTranslator.quote(id) }
        if let text {
            let excerpt = String(decoding: UnsafeBufferPointer(rebasing: text[0..<min(text.count, 300)]), as: UTF8.self)
            json += ",\"text\":" + CSVRecordTranslator.quote(excerpt) + (text.count > 300 ? ",\"truncated\":true" : "")
        }
        json += "}\n"
        try lock.withLock {
            if let failure { throw failure }
            do {
                if fd < 0 { fd = try create() }
                try writeAll(Array(json.utf8))
            } catch {
                let failed = cannotWrite(error)
                failure = failed
                throw failed
            }
            written += 1
        }
    }

    /// Closes the file; throws the first failure to write it, if any.
    func close() throws {
        try lock.withLock {
            guard fd >= 0 else { if let failure { throw failure }; return }
            let closed = Glibc.close(fd)
            fd = -1
            if let failure { throw failure }
            if closed != 0 { throw cannotWrite(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        }
    }

    /// Writes every byte with write(2), whose errno (ENOSPC, …) FileHandle does not always report.
    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            offset += n
        }
    }

    /// Creates the file (and its directory), truncating an older one.
    private func create() throws -> Int32 {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return fd
    }

    private func cannotWrite(_ error: any Error) -> JobError {
        JobError("cannot write the rejects file \(path): \(FileErrorReason.words(error)); pass --rejects PATH to write it elsewhere")
    }
}
