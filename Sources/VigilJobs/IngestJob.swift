import Foundation
import VigilCore
import VigilStore

/// What to ingest and how.
public struct IngestRequest: Sendable {
    /// Predictions or ground truth.
    public enum Kind: String, Sendable, Codable { case predictions, labels }
    /// The input's format.
    public enum Format: String, Sendable, Codable { case ndjson, csv }

    public var kind: Kind
    /// The input file, or `nil` for standard input.
    public var path: String?
    public var format: Format
    /// One transaction for the whole input: nothing is stored unless every line is valid.
    public var atomic = false
    /// For labels: record a different label as a new revision instead of a conflict.
    public var allowRelabel = false
    /// Lines longer than this are rejected without being read into memory (default 1 MiB).
    public var maxLineBytes = 1 << 20
    /// Records per transaction.
    public var batchSize = 32_768
    /// Check every line and report, but store nothing.
    public var dryRun = false
    /// COCO input instead of `path`: converted to NDJSON first (see ``COCOFiles``).
    public var coco: COCOSource?
    /// Where to write rejected lines; default `FILE.rejects.ndjson`, or under `.vigil/rejects/` for stdin.
    public var rejectsPath: String?

    public init(kind: Kind, path: String?, format: Format? = nil) {
        self.kind = kind
        self.path = path
        self.format = format ?? ((path?.lowercased().hasSuffix(".csv") ?? false) ? .csv : .ndjson)
    }
}

/// COCO files to ingest.
public enum COCOSource: Sendable {
    /// A results list (`dt.json`) and the dataset naming its images and categories (`gt.json`);
    /// every prediction is stamped with `timestampMillis` and attributed to `model`.
    case results(path: String, images: String, model: String, timestampMillis: Int64)
    /// A dataset's annotations (`gt.json`) as ground truth.
    case annotations(path: String)

    var displayPath: String {
        switch self {
        case .results(let path, _, _, _), .annotations(let path): path
        }
    }
}

/// What an ingest did, for people (`vigil ingest` prints it) and machines (`--format json`).
public struct IngestSummary: Sendable, Codable {
    public var source: String
    public var kind: IngestRequest.Kind
    public var format: IngestRequest.Format
    public var lines: Int = 0
    /// Records found (lines that were not blank), valid or not.
    public var records: Int = 0
    public var inserted: Int = 0
    public var duplicates: Int = 0
    public var relabeled: Int = 0
    public var rejected: Int = 0
    /// False when `--all-or-nothing` rolled the input back.
    public var committed: Bool = true
    public var rejectsFile: String?
    /// The first few rejected lines.
    public var firstRejects: [RecordError] = []
    public var seconds: Double = 0
    public var bytes: Int = 0

    /// True for `--dry-run`: `inserted` counts valid records, nothing was stored.
    public var dryRun = false

    /// 0 when every line went in (or, for a dry run, was valid), 1 when some were rejected,
    /// 2 when nothing was stored although it should have been.
    public var exitCode: Int32 {
        if !committed && !dryRun { return 2 }
        if rejected > 0 || records == 0 { return 1 }
        return 0
    }

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run"
        case source, kind, format, lines, records, inserted, duplicates, relabeled, rejected, committed, seconds, bytes
        case rejectsFile = "rejects_file"
        case firstRejects = "first_rejects"
    }
}

extension RecordError: Codable {
    enum CodingKeys: String, CodingKey { case line, field, reason, id }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(line: try c.decode(Int.self, forKey: .line), field: try c.decodeIfPresent(String.self, forKey: .field),
                  reason: try c.decode(String.self, forKey: .reason), id: try c.decodeIfPresent(String.self, forKey: .id))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(line, forKey: .line)
        try c.encodeIfPresent(field, forKey: .field)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(id, forKey: .id)
    }
}

/// Streams a file of predictions or labels into the store: a parser thread reads and
/// validates lines while the calling thread writes batches, each batch one transaction.
/// Bad lines go to a rejects file with line, field and reason; valid lines are stored exactly
/// once, however often the same file is ingested.
public struct IngestJob: Sendable {
    let store: any Store
    let catalog: ModelCatalog
    let clock: any VigilClock
    let rejectsDirectory: String
    let actor: String

    /// A job writing to `store`, accepting the models of `catalog`.
    public init(store: any Store, catalog: ModelCatalog, clock: any VigilClock, rejectsDirectory: String, actor: String = "cli") {
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.rejectsDirectory = rejectsDirectory
        self.actor = actor
    }

    /// Runs the ingest; `progress` is called after every committed batch.
    public func run(_ request: IngestRequest, progress: @escaping (IngestSummary) -> Void = { _ in }) throws -> IngestSummary {
        guard let coco = request.coco else { return try runNDJSONOrCSV(request, progress: progress) }
        // COCO: convert to NDJSON in the workspace, then ingest that like any other file.
        let converted = (rejectsDirectory as NSString).appendingPathComponent("coco-\(UUID().uuidString).ndjson")
        try FileManager.default.createDirectory(atPath: rejectsDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: converted) }
        switch coco {
        case .results(let path, let images, let model, let ts):
            _ = try COCOFiles.writePredictions(results: path, images: images, model: model, timestampMillis: ts, to: converted)
        case .annotations(let path):
            _ = try COCOFiles.writeLabels(annotations: path, to: converted)
        }
        var ndjson = request
        ndjson.coco = nil
        ndjson.path = converted
        ndjson.format = .ndjson
        ndjson.rejectsPath = request.rejectsPath ?? coco.displayPath + ".rejects.ndjson"
        var summary = try runNDJSONOrCSV(ndjson, progress: progress)
        summary.source = coco.displayPath
        return summary
    }

    /// Files from this size on are ingested in bulk mode (``IngestOptions/bulk``).
    static let bulkFileBytes = 1 << 20

    func runNDJSONOrCSV(_ request: IngestRequest, progress: @escaping (IngestSummary) -> Void) throws -> IngestSummary {
        let started = Date()
        let fd: Int32
        if let path = request.path {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw JobError("cannot open \(path): \(String(cString: strerror(errno)))") }
        } else {
            fd = 0
        }
        defer { if request.path != nil { close(fd) } }
        let rejects = RejectsFile(path: rejectsPath(for: request))
        var summary = IngestSummary(source: request.path ?? "-", kind: request.kind, format: request.format)
        let shared = ParseTally()
        var options = IngestOptions(now: Timestamp.millis(clock.now), atomic: request.atomic, allowRelabel: request.allowRelabel,
                                    actor: actor, shouldCommit: { shared.rejected == 0 },
                                    onReject: { e in try? rejects.write(e, text: nil) })
        // A small file (an hour of one camera) is not worth a background checkpointer: SQLite's
        // own autocheckpoint suffices, and starting one costs more than writing the rows.
        var info = stat()
        if request.path != nil, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size < Self.bulkFileBytes { options.bulk = false }
        var outcome: IngestOutcome
        let report: (IngestProgress) -> Void = { p in
            var s = summary
            s.lines = p.lastLine
            s.inserted = p.recordsWritten
            progress(s)
        }
        switch request.kind {
        case .predictions:
            let parser = PredictionLineParser(catalog: catalog)
            outcome = try pipeline(request, fd: fd, rejects: rejects, tally: shared, options: options, progress: report,
                                   parse: { parser.parse($0, line: $1) },
                                   csvFields: ["id", "ts", "model", "model_version", "task", "label", "score", "input", "scores"],
                                   write: { try store.ingestPredictions(options: $0, nextBatch: $1, progress: $2) })
        case .labels:
            let parser = LabelLineParser()
            outcome = try pipeline(request, fd: fd, rejects: rejects, tally: shared, options: options, progress: report,
                                   parse: { parser.parse($0, line: $1) },
                                   csvFields: ["prediction_id", "label", "reviewer", "source"],
                                   write: { try store.ingestLabels(options: $0, nextBatch: $1, progress: $2) })
        }
        try rejects.close()
        summary.lines = shared.lines
        summary.records = shared.records
        summary.bytes = shared.bytes
        summary.inserted = outcome.inserted
        summary.duplicates = outcome.duplicates
        summary.relabeled = outcome.relabeled
        summary.rejected = shared.rejected + outcome.rejectedCount
        summary.committed = outcome.committed
        summary.dryRun = request.dryRun
        summary.rejectsFile = rejects.written > 0 ? rejects.path : nil
        summary.firstRejects = Array((shared.firstRejects + outcome.rejected).sorted { $0.line < $1.line }.prefix(10))
        summary.seconds = Date().timeIntervalSince(started)
        let details = "{\"lines\":\(summary.lines),\"inserted\":\(summary.inserted),\"duplicates\":\(summary.duplicates),"
            + "\"relabeled\":\(summary.relabeled),\"rejected\":\(summary.rejected),\"committed\":\(summary.committed)}"
        if request.dryRun { return summary }
        try store.append(Event(ts: Timestamp.millis(clock.now), actor: actor, kind: "ingest.\(request.kind.rawValue)", model: nil,
                               subject: request.path ?? "stdin", details: details))
        return summary
    }

    func rejectsPath(for request: IngestRequest) -> String {
        if let p = request.rejectsPath { return p }
        if let path = request.path, FileManager.default.isWritableFile(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent) {
            return path + ".rejects.ndjson"
        }
        let stamp = Timestamp.format(millis: Timestamp.millis(clock.now)).replacingOccurrences(of: ":", with: "")
        let base = request.path.map { ($0 as NSString).lastPathComponent } ?? "stdin"
        return (rejectsDirectory as NSString).appendingPathComponent("\(base)-\(stamp).rejects.ndjson")
    }

    func pipeline<R: Sendable>(
        _ request: IngestRequest, fd: Int32, rejects: RejectsFile, tally: ParseTally, options: IngestOptions,
        progress: @escaping (IngestProgress) -> Void,
        parse: @escaping @Sendable (UnsafeBufferPointer<UInt8>, Int) -> Result<R, RecordError>,
        csvFields: Set<String>,
        write: (IngestOptions, () throws -> [R]?, (IngestProgress) -> Void) throws -> IngestOutcome
    ) throws -> IngestOutcome {
        let channel = BatchChannel<R>(capacity: 2)
        let reader = LineReader(fd: fd, maxLineBytes: request.maxLineBytes)
        let parserThread = Thread {
            do {
                var batch: [R] = []
                batch.reserveCapacity(request.batchSize)
                var lines = RecordLines(format: request.format, csvFields: csvFields, maxLineBytes: request.maxLineBytes)
                try reader.forEachLine { line in
                    try lines.feed(line) { number, bytes, translateError in
                        tally.records += 1
                        if let translateError {
                            try tally.reject(translateError, text: bytes, into: rejects)
                            return
                        }
                        switch parse(bytes!, number) {
                        case .success(let r):
                            batch.append(r)
                            if batch.count >= request.batchSize {
                                if !channel.send(batch) { throw CancellationError() }
                                batch.removeAll(keepingCapacity: true)
                            }
                        case .failure(let e):
                            try tally.reject(e, text: bytes, into: rejects)
                        }
                    }
                    if case .text(let n, _) = line { tally.lines = n } else if case .overlong(let n, _) = line { tally.lines = n }
                }
                try lines.finish { number, _, error in if let error { try tally.reject(error, text: nil, into: rejects) } }
                tally.bytes = reader.bytesRead
                if !batch.isEmpty { channel.send(batch) }
                channel.finish()
            } catch is CancellationError {
                channel.finish()
            } catch {
                channel.finish(error)
            }
            tally.done.signal()
        }
        parserThread.stackSize = 8 << 20
        parserThread.start()
        defer {
            channel.cancel()
            tally.done.wait()
        }
        if request.dryRun {
            var outcome = IngestOutcome()
            while let batch = try channel.receive() { outcome.inserted += batch.count }
            outcome.committed = false
            return outcome
        }
        return try write(options, { try channel.receive() }, progress)
    }
}

/// Counters shared between the parser thread and the writer.
final class ParseTally: @unchecked Sendable {
    private let lock = NSLock()
    private var _rejected = 0
    private var _first: [RecordError] = []
    var lines = 0
    var records = 0
    var bytes = 0
    let done = DispatchSemaphore(value: 0)

    var rejected: Int { lock.withLock { _rejected } }
    var firstRejects: [RecordError] { lock.withLock { _first } }

    func reject(_ e: RecordError, text: UnsafeBufferPointer<UInt8>?, into file: RejectsFile) throws {
        lock.withLock {
            _rejected += 1
            if _first.count < 10 { _first.append(e) }
        }
        try file.write(e, text: text)
    }
}

/// Splits the input into records: every non-blank line for NDJSON; for CSV, a header then
/// records (a quoted cell may span lines), each translated to the NDJSON form.
struct RecordLines {
    let format: IngestRequest.Format
    let csvFields: Set<String>
    let maxLineBytes: Int
    var translator: CSVRecordTranslator?
    var pending: (start: Int, text: String)?

    init(format: IngestRequest.Format, csvFields: Set<String>, maxLineBytes: Int) {
        self.format = format
        self.maxLineBytes = maxLineBytes
        self.csvFields = csvFields
    }

    /// Calls `record` with (line number, bytes, nil) for a record or (line, raw bytes, error) for a bad one.
    mutating func feed(_ line: LineReader.Line,
                       _ record: (Int, UnsafeBufferPointer<UInt8>?, RecordError?) throws -> Void) throws {
        switch line {
        case .overlong(let n, let length):
            pending = nil
            try record(n, nil, RecordError(line: n, reason: "line is \(length) bytes long, over the limit of \(maxLineBytes) bytes; it was skipped without being read (raise the limit with --max-line-bytes)"))
        case .text(let n, let bytes):
            if format == .ndjson {
                if isBlank(bytes) { return }
                try record(n, bytes, nil)
                return
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                try record(n, bytes, RecordError(line: n, reason: "invalid UTF-8 in this line"))
                return
            }
            let (start, joined) = pending.map { ($0.start, $0.text + "\n" + text) } ?? (n, text)
            guard let cells = CSVRecordTranslator.split(joined) else {
                pending = (start, joined)
                return
            }
            pending = nil
            guard let translator else {
                if joined.trimmingCharacters(in: .whitespaces).isEmpty { return }
                do throws(RecordError) {
                    translator = try CSVRecordTranslator(header: cells, allowed: csvFields)
                } catch {
                    throw JobError("the CSV header is not valid: \(error.reason)")
                }
                return
            }
            if cells.count == 1 && cells[0].isEmpty { return }
            switch translator.translate(cells, line: start) {
            case .success(var json):
                try json.withUTF8 { try record(start, $0, nil) }
            case .failure(let e):
                try record(start, bytes, e)
            }
        }
    }

    mutating func finish(_ record: (Int, UnsafeBufferPointer<UInt8>?, RecordError?) throws -> Void) throws {
        if let p = pending {
            try record(p.start, nil, RecordError(line: p.start, reason: "a quoted CSV cell opened on this line is never closed"))
        }
    }

    func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in b where !(c == 0x20 || c == 0x09 || c == 0x0D) { return false }
        return true
    }
}
