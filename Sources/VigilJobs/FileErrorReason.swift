import Foundation

/// Why a file operation failed, in words a person can act on ("no space left on device",
/// "permission denied", …), from a POSIX error or a Foundation (`NSCocoaErrorDomain`) error —
/// instead of "The operation could not be completed (NSCocoaErrorDomain Code=640)".
///
/// ```swift
/// FileErrorReason.words(CocoaError(.fileWriteOutOfSpace))   // "no space left on device"
/// ```
public enum FileErrorReason {
    /// The reason for `error`: its errno's words when it has one, else the Cocoa code's, else its description.
    public static func words(_ error: any Error) -> String {
        if let code = posixCode(error) { return words(errno: code) }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain, let text = cocoaWords[ns.code] { return text }
        return ns.localizedDescription
    }

    /// The words for an errno value.
    public static func words(errno code: Int32) -> String {
        switch code {
        case ENOSPC: "no space left on device"
        case EDQUOT: "disk quota exceeded"
        case EACCES, EPERM: "permission denied"
        case EROFS: "read-only file system"
        case ENOENT: "no such directory"
        case ENOTDIR: "a part of the path is a file, not a directory"
        case EISDIR: "it is a directory"
        case EEXIST: "a file is in the way"
        default: String(cString: strerror(code)).lowercased()
        }
    }

    /// Foundation's write and read error codes (NSFileWriteOutOfSpaceError = 640, …).
    private static let cocoaWords: [Int: String] = [
        CocoaError.fileWriteOutOfSpace.rawValue: "no space left on device",
        CocoaError.fileWriteNoPermission.rawValue: "permission denied",
        CocoaError.fileReadNoPermission.rawValue: "permission denied",
        CocoaError.fileWriteVolumeReadOnly.rawValue: "read-only file system",
        CocoaError.fileNoSuchFile.rawValue: "no such directory",
        CocoaError.fileReadNoSuchFile.rawValue: "no such directory",
        CocoaError.fileWriteFileExists.rawValue: "a file is in the way",
    ]

    /// The errno behind `error`: a `POSIXError`, an `NSPOSIXErrorDomain` error, or one underlying a Cocoa error.
    private static func posixCode(_ error: any Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError { return posixCode(underlying) }
        return nil
    }
}
