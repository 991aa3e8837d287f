import Hummingbird

/// The request context of `vigil serve`: Hummingbird's core storage plus the authenticated caller.
public struct VigilRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set once the bearer token is checked.
    public var principal: Principal?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
