import VigilCore

/// Reads members of a stored report (`vigil.evaluation/v1` JSON) without decoding it.
enum ReportJSON {
    /// The raw JSON text of the top-level member `name`, or `nil`.
    static func member(_ name: String, of json: String) -> String? {
        var json = json
        return json.withUTF8 { bytes -> String? in
            var s = JSONScanner(bytes)
            var found: Range<Int>?
            do throws(JSONSyntaxError) {
                try s.scanObject { (s: inout JSONScanner, key) throws(JSONSyntaxError) in
                    let range = try s.skipValue()
                    if found == nil, (try? s.decode(key)) == name { found = range }
                }
            } catch {
                return nil
            }
            return found.map { s.text($0) }
        }
    }
}
