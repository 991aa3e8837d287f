import Foundation
import VigilCore

/// Writes the example data set to files, streaming (constant memory for any row count).
public enum ExampleDataWriter {
    /// The files written.
    public struct Files: Sendable {
        public var predictions: String
        public var labels: String
        public var predictionsCSV: String?
    }

    /// Writes `predictions.ndjson`, `labels.ndjson` (a `labeledFraction` sample, deterministic)
    /// and, with `csv`, `predictions.csv` into `directory`.
    public static func write(_ data: ExampleData, to directory: String, labeledFraction: Double, csv: Bool) throws -> Files {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = Files(predictions: (directory as NSString).appendingPathComponent("predictions.ndjson"),
                          labels: (directory as NSString).appendingPathComponent("labels.ndjson"),
                          predictionsCSV: csv ? (directory as NSString).appendingPathComponent("predictions.csv") : nil)
        let p = try BufferedWriter(path: files.predictions)
        let l = try BufferedWriter(path: files.labels)
        let c = try files.predictionsCSV.map { try BufferedWriter(path: $0) }
        try c?.write(ExampleData.csvHeader + "\n")
        for i in 0..<data.rows {
            try p.write(data.predictionLine(i) + "\n")
            if labeledFraction >= 1 || data.isReviewed(i, fraction: labeledFraction) { try l.write(data.labelLine(i) + "\n") }
            try c?.write(data.predictionCSV(i) + "\n")
        }
        try p.close(); try l.close(); try c?.close()
        return files
    }
}

/// Appends text to a file through a 1 MiB buffer.
final class BufferedWriter {
    let handle: FileHandle
    var buffer = [UInt8]()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw JobError("cannot write \(path)")
        }
        handle = h
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}
