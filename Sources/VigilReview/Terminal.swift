#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// What a signal handler may touch: plain memory prepared before any handler is installed.
nonisolated(unsafe) private var savedTermios = termios()
nonisolated(unsafe) private var termiosSaved = false
/// Whether the terminal is in raw mode on the alternate screen (restoring twice would move the cursor again).
nonisolated(unsafe) private var rawActive = false
nonisolated(unsafe) private var restoreBytes: UnsafeMutablePointer<UInt8>?
nonisolated(unsafe) private var restoreCount = 0
nonisolated(unsafe) private var wakeWrite: Int32 = -1
nonisolated(unsafe) private var pendingSignals: UInt32 = 0

/// Restores the terminal with async-signal-safe calls only (`write`, `tcsetattr`).
private func restoreTerminalSignalSafe() {
    guard rawActive else { return }
    rawActive = false
    if let restoreBytes { _ = write(1, restoreBytes, restoreCount) }
    if termiosSaved { _ = tcsetattr(0, TCSANOW, &savedTermios) }
}

/// SIGINT, SIGTERM, SIGHUP, SIGWINCH: noted and passed to the main loop through a pipe, which
/// then quits cleanly (claims released) or redraws.
private func noteSignal(_ signal: Int32) {
    pendingSignals |= 1 << UInt32(signal)
    var byte: UInt8 = 1
    _ = write(wakeWrite, &byte, 1)
}

/// A crash: restore the terminal, then die of the same signal with its default action.
private func crashSignal(_ signal: Int32) {
    restoreTerminalSignalSafe()
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}

/// The controlling terminal in raw mode on the alternate screen.
///
/// ``enter()`` saves the terminal's settings, switches to raw mode (no echo, no line buffering,
/// no signals from keys: Ctrl-C is a key) and the alternate screen; ``leave()`` undoes both.
/// The undo also runs on SIGINT/SIGTERM/SIGHUP (through the main loop, so claims are released
/// first), at exit, and from the handlers of SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT, which use
/// only `write` and `tcsetattr` on bytes prepared in advance.
public final class Terminal {
    public let input: Int32 = 0
    public let output: Int32 = 1
    /// The read end of the signal pipe: readable when a signal arrived.
    public private(set) var wakeRead: Int32 = -1
    private var active = false

    public init() {}

    /// The terminal's size in cells (80×24 when it cannot be asked).
    public var size: (width: Int, height: Int) {
        var w = winsize()
        if ioctl(output, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 { return (Int(w.ws_col), Int(w.ws_row)) }
        return (80, 24)
    }

    public func enter() throws {
        guard isatty(input) != 0 else { throw TerminalError("standard input is not a terminal: run vigil review in a terminal (over SSH: ssh -t)") }
        guard tcgetattr(input, &savedTermios) == 0 else { throw TerminalError("cannot read the terminal's settings") }
        termiosSaved = true
        let restore = Array("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l".utf8)
        restoreBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: restore.count)
        restoreBytes!.initialize(from: restore, count: restore.count)
        restoreCount = restore.count
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TerminalError("cannot create the signal pipe") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] { signal(s, { noteSignal($0) }) }
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] { signal(s, { crashSignal($0) }) }
        // A launcher may pass its signal mask on (a test runner's blocks nearly everything):
        // the signals handled here must get through.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] { sigaddset(&unblock, s) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        atexit { restoreTerminalSignalSafe() }

        var raw = savedTermios
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(input, TCSAFLUSH, &raw) == 0 else { throw TerminalError("cannot put the terminal in raw mode") }
        active = true
        rawActive = true
        write(Array("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J".utf8))
    }

    /// Leaves raw mode and the alternate screen (idempotent).
    public func leave() {
        guard active else { return }
        active = false
        restoreTerminalSignalSafe()
    }

    /// Signals that arrived since the last call (bit n set for signal n).
    public func takeSignals() -> UInt32 {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
        let s = pendingSignals
        pendingSignals = 0
        return s
    }

    /// Waits up to `timeoutMillis` for input or a signal; returns the bytes read (maybe none).
    public func read(timeoutMillis: Int32) -> [UInt8] {
        var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, 2, timeoutMillis) > 0, fds[0].revents & Int16(POLLIN) != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(input, &buffer, buffer.count)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Writes all of `bytes` (retrying short writes).
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { p in
            var offset = 0
            while offset < p.count {
                let n = Glibc.write(output, p.baseAddress! + offset, p.count - offset)
                if n < 0 { if errno == EINTR || errno == EAGAIN { continue } else { return } }
                offset += n
            }
        }
    }
}

/// The terminal could not be used.
public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
