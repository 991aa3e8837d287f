import Foundation

/// A detached tmux session of fixed size on its own server socket, driven like a person would:
/// `send-keys`, then `capture-pane -p` polled until the expected text shows.
final class TmuxPane {
    let socket = "vigil-review-\(UUID().uuidString.prefix(8))"
    let width: Int, height: Int
    private var sessions = 0

    init(width: Int = 120, height: Int = 40) {
        self.width = width
        self.height = height
    }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") || which("tmux") != nil }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs tmux with `args` and returns its standard output. Spawned with posix_spawn and
    /// reaped with waitpid, output through a file: the tmux server that `new-session` starts
    /// inherits the client's descriptors, so a pipe would never see its end.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "tmux-out-\(UUID().uuidString)"
        defer { unlink(path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let tool = Self.which("tmux") ?? "/usr/bin/tmux"
        let argv: [UnsafeMutablePointer<CChar>?] = ([tool, "-L", socket, "-f", "/dev/null"] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test runner blocks most signals and its mask would pass to the tmux server and
        // everything in its panes (kill-server's SIGHUP would then end nothing): start clean.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGWINCH] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw TmuxTimeout(description: "cannot start tmux: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Starts `command` (a shell command line) in a new window of the given size; it stays
    /// open after the command ends so its last output can be read: `EXITED=<status>`, then the
    /// terminal's `icanon`/`echo` modes from `stty -a` (restored or not), then `TERMINAL-CHECKED`.
    func start(_ command: String) throws {
        sessions += 1
        try tmux(["new-session", "-d", "-s", "s\(sessions)", "-x", String(width), "-y", String(height), command + "; echo EXITED=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; echo TERMINAL-CHECKED; sleep 600"])
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", "s\(sessions)"] + keys) }
    func type(_ text: String) throws { try tmux(["send-keys", "-t", "s\(sessions)", "-l", text]) }

    /// The pid of the program the shell of the current window runs (the shell's child).
    func programPID() throws -> Int32? {
        let shell = try tmux(["display-message", "-p", "-t", "s\(sessions)", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "s\(sessions)"]) }

    /// Polls the screen until `predicate` holds; fails with the last screen after `timeout` seconds.
    @discardableResult
    func wait(for what: String, timeout: Double = 20, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            usleep(30_000)
        }
        throw TmuxTimeout(description: "waited \(timeout) s for \(what); the last screen was:\n\(last)")
    }

    @discardableResult
    func wait(forText text: String, timeout: Double = 20) throws -> String { try wait(for: "'\(text)'", timeout: timeout) { $0.contains(text) } }

    func kill() { _ = try? tmux(["kill-server"]) }

    struct TmuxTimeout: Error, CustomStringConvertible { let description: String }
}

/// The built `vigil` binary next to the test bundle (SwiftPM puts both in the same products folder).
let vigilBinary: String = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    var candidates: [String] = []
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("vigil").path)
        dir = dir.deletingLastPathComponent()
    }
    candidates.append(FileManager.default.currentDirectoryPath + "/.build/debug/vigil")
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
}()

/// Runs `vigil args…` to completion; (status, stdout + stderr).
@discardableResult
func runVigil(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: vigilBinary)
    p.arguments = args
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
