import VigilCore

/// How uncertain a stored prediction is, in [0, 1], read from its payload without allocating.
///
/// Classification with a `scores` map: one minus the margin between the two highest scores
/// (a 0.51/0.49 split is 0.98; a confident 0.99 is near 0). Without a map: how near the top
/// score is to the policy threshold, `1 − 2·|score − threshold|`. Detection: 1 when one of the
/// image's boxes scores inside the policy band, else 0.
public struct UncertaintyScore: Sendable {
    public let settings: UncertaintySettings
    public let task: ModelTask

    public init(settings: UncertaintySettings, task: ModelTask) {
        self.settings = settings
        self.task = task
    }

    /// The uncertainty of one prediction.
    public func value(score: Double?, payload: UnsafeBufferPointer<UInt8>?) -> Double {
        var top1 = -Double.infinity, top2 = -Double.infinity, scoresSeen = 0
        var inBand = false
        if let payload {
            var s = JSONScanner(payload)
            let lo = settings.band.first ?? 0, hi = settings.band.last ?? 1
            do throws(JSONSyntaxError) {
                try s.scanObject { s, key throws(JSONSyntaxError) in
                    if task == .classification, s.equals(key, "scores"), s.peek() == 0x7B {
                        try s.scanObject { s, _ throws(JSONSyntaxError) in
                            let v = try s.scanNumber()
                            scoresSeen += 1
                            if v > top1 { top2 = top1; top1 = v } else if v > top2 { top2 = v }
                        }
                    } else if task == .detection, s.equals(key, "boxes"), s.peek() == 0x5B {
                        try s.scanArray { s, _ throws(JSONSyntaxError) in
                            guard s.peek() == 0x7B else { _ = try s.skipValue(); return }
                            try s.scanObject { s, k throws(JSONSyntaxError) in
                                if s.equals(k, "score"), let c = s.peek(), c == 0x2D || (c >= 0x30 && c <= 0x39) {
                                    let v = try s.scanNumber()
                                    if v >= lo && v <= hi { inBand = true }
                                } else {
                                    _ = try s.skipValue()
                                }
                            }
                        }
                    } else {
                        _ = try s.skipValue()
                    }
                }
            } catch {
                // A payload that is not JSON (it always is: ingest wrote it) counts as certain.
            }
        }
        switch task {
        case .detection:
            return inBand ? 1 : 0
        case .classification:
            if scoresSeen >= 2 { return min(1, max(0, 1 - (top1 - top2))) }
            if scoresSeen == 1 { return min(1, max(0, 1 - abs(2 * top1 - 1))) }
            guard let score else { return 0 }
            return min(1, max(0, 1 - 2 * abs(score - settings.threshold)))
        }
    }

    /// The sampling weight: `floor + (1 − floor) · uncertainty`, never 0.
    public func weight(score: Double?, payload: UnsafeBufferPointer<UInt8>?) -> Double {
        settings.floor + (1 - settings.floor) * value(score: score, payload: payload)
    }
}
