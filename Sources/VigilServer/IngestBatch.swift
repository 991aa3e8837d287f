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
                    if ranges.count > maxItems { throw JSONSyntaxError(offset: s.offset, reason: "") }
                }
                if !s.atEnd() { throw JSONSyntaxError(offset: s.offset, reason: "unexpected content after the array") }
            } catch {
                if ranges.count > maxItems { throw .tooManyItems(maxItems) }
                throw .malformed("the body is not a JSON array of objects: \(error.reason) at byte \(error.offset + 1)")
            }
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

    /// Parses the items with `parse` (given the item's 1-based number as its line) and writes the
    /// valid ones with `write`.
    static func run<R: Sendable>(
        _ body: [UInt8], maxItems: Int, options: IngestOptions,
        parse: (UnsafeBufferPointer<UInt8>, Int) -> Swift.Result<R, RecordError>,
        write: (IngestOptions, () throws -> [R]?) throws -> IngestOutcome
    ) throws -> Result {
        var result = Result()
        var records: [R] = []
        var errors: [ItemError] = []
        try body.withUnsafeBufferPointer { buf in
            let ranges = try items(buf, maxItems: maxItems)
            result.received = ranges.count
            records.reserveCapacity(ranges.count)
            for (i, r) in ranges.enumerated() {
                switch parse(UnsafeBufferPointer(rebasing: buf[r]), i + 1) {
                case .success(let record): records.append(record)
                case .failure(let e): errors.append(ItemError(index: e.line - 1, field: e.field, reason: e.reason, id: e.id))
                }
            }
        }
        let refused = Refusals()
        var options = options
        options.onReject = { e in refused.add(ItemError(index: e.line - 1, field: e.field, reason: e.reason, id: e.id)) }
        if !records.isEmpty {
            var handed = false
            let outcome = try write(options) {
                if handed { return nil }
                handed = true
                return records
            }
            result.inserted = outcome.inserted
            result.duplicates = outcome.duplicates
            result.relabeled = outcome.relabeled
        }
        result.errors = (errors + refused.all).sorted { $0.index < $1.index }
        result.rejected = result.errors.count
        return result
    }
}

/// Refusals reported by the store while it writes.
private final class Refusals: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [IngestBatch.ItemError] = []
    func add(_ e: IngestBatch.ItemError) { lock.withLock { items.append(e) } }
    var all: [IngestBatch.ItemError] { lock.withLock { items } }
}
