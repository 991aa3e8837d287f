import VigilCore

/// One ground truth, one queue: ground truth that arrives by a path other than the review
/// (`vigil ingest labels`, the HTTP API) closes the open review items of its predictions, in
/// the transaction that writes it. Each backend's label writer notes what it stored; this
/// closes the items once per batch.
public struct ReviewItemClosing: Sendable {
    private var seqsBySource: [String: [Int64]] = [:]

    public init() {}

    /// Notes that `record` stored ground truth for the prediction `seq`.
    public mutating func note(_ record: LabelRecord, seq: Int64) {
        guard record.source != ReviewAnswer.source else { return }  // the review path finishes its own item
        seqsBySource[record.source, default: []].append(seq)
    }

    /// Closes the noted predictions' open items, recording each label's source.
    public func close(_ c: any SQLConnection) throws {
        for (source, seqs) in seqsBySource.sorted(by: { $0.key < $1.key }) {
            try c.closeReviewItems(predictionSeqs: seqs, closedBy: source)
        }
    }
}
