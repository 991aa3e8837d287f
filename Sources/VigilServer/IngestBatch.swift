import Foundation
import VigilCore
import VigilStore

/// One `POST /v1/predictions` or `/v1/labels` body, checked and written: the items of a JSON
/// array or the non-blank lines of NDJSON, each parsed by the same parser as `vigil ingest`
/// and written in one store batch (idempotent on id). Items are numbered from 0 in body order;
/// every refused item is reported with its index, field and reason.
struct IngestBatch {
    /// A refused item.
    struct ItemError: Sendable, Encodable, Equatable {
        var index: Int
        var field: String?
        var reason: String
        var id: String?
    }

    /// The response body.
    struct Result: Sendable, Encodable {
        var received = 0
        var inserted = 0
        var duplicates = 0
        var relabeled = 0
        var rejected = 0
        var errors: [ItemError] = []
    }

    enum Failure: Error {
        case malformed(String)
        case tooManyItems(Int)
    }

    /// The byte ranges of the items: a JSON array's elements, or NDJSON's non-blank lines.
    static func items(_ body: UnsafeBufferPointer<UInt8>, maxItems: Int) throws(Failure) -> [Range<Int>] {
        var s = JSONScanner(body)
        s.skipWhitespace()
        var ranges: [Range<Int>] = []
        if s.peek() == 0x5B {  // [
            do throws(JSONSyntaxError) {
                try s.scanArray { (s: inout JSONScanner, _) throws(JSONSyntaxError) in
                    ranges.append(try s.skipValue())
                }
            } catch {
                throw .malformed("the body is not a JSON array of objects: \(error.reason) at byte \(error.offset + 1)")
            }
            if !s.atEnd() { throw .malformed("unexpected content after the JSON array at byte \(s.offset + 1)") }
            if ranges.count > maxItems { throw .tooManyItems(maxItems) }
            return ranges
        }
        var start = 0
        for i in 0...body.count where i == body.count || body[i] == 0x0A {
            var lo = start, hi = i
            while lo < hi, [0x20, 0x09, 0x0D].contains(body[lo]) { lo += 1 }
            while hi > lo, [0x20, 0x09, 0x0D].contains(body[hi - 1]) { hi -= 1 }
            if lo < hi {
                ranges.append(lo..<hi)
                if ranges.count > maxItems { throw .tooManyItems(maxItems) }
            }
            start = i + 1
        }
        return ranges
    }

    /// The parsed body: valid records and the items refused by the parser.
    struct Parsed<R: Sendable>: Sendable {
        var received = 0
        var records: [R] = []
        var errors: [ItemError] = []
    }

    /// Parses the items with `parse`, giving each its 1-based number as its line.
    static func parse<R: Sendable>(_ body: [UInt8], maxItems: Int,
                                   _ parse: (UnsafeBufferPointer<UInt8>, Int) -> Swift.Result<R, RecordError>) throws(Failure) -> Parsed<R> {
        var out = Parsed<R>()
        try body.withUnsafeBufferPointer { (buf) throws(Failure) in
            let ranges = try items(buf, maxItems: maxItems)
            out.received = ranges.count
            out.records.reserveCapacity(ranges.count)
            for (i, r) in ranges.enumerated() {
                switch parse(UnsafeBufferPointer(rebasing: buf[r]), i + 1) {
                case .success(let record): out.records.append(record)
                case .failure(let e): out.errors.append(ItemError(e))
                }
            }
        }
        return out
    }

    /// The response: the parser's refusals and the store's, by index.
    static func result<R: Sendable>(_ parsed: Parsed<R>, _ written: IngestWriter<R>.Outcome) -> Result {
        var r = Result()
        r.received = parsed.received
        r.inserted = written.inserted
        r.duplicates = written.duplicates
        r.relabeled = written.relabeled
        r.errors = (parsed.errors + written.rejects.map(ItemError.init)).sorted { $0.index < $1.index }
        r.rejected = r.errors.count
        return r
    }
}

extension IngestBatch.ItemError {
    /// The error of the item numbered `e.line` (1-based).
    init(_ e: RecordError) {
        self.init(index: e.line - 1, field: e.field, reason: e.reason, id: e.id)
    }
}
