/// A failure meant for the person running the detector: what happened and what to do next.
public struct DetectorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
