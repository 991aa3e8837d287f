import Foundation
import Mustache

/// The body templates in use: a receiver's own file, else the workspace's `alerts/<kind>.mustache`,
/// else the default built into Vigil (the same text as the repository's `alerts/`).
///
/// ```swift
/// let templates = try TemplateSet(receivers: config.receivers, workspaceRoot: root)
/// let body = try templates.render(context, for: receiver)
/// ```
public struct TemplateSet: Sendable {
    private var templates: [String: (template: MustacheTemplate, source: String)] = [:]

    /// Parses the template of every receiver; errors name the file and what to fix.
    public init(receivers: [Receiver], workspaceRoot: String?) throws {
        MustacheContentTypes.register(JSONContentType(), named: JSONContentType.name)
        for r in receivers {
            let (text, source) = try Self.text(for: r, workspaceRoot: workspaceRoot)
            do {
                templates[r.name] = (try MustacheTemplate(string: "{{% CONTENT_TYPE: \(JSONContentType.name)}}" + text), source)
            } catch {
                throw AlertError("\(source): not a valid Mustache template (\(error)); start again from a copy of alerts/\(r.kind.rawValue).mustache")
            }
        }
    }

    static func text(for r: Receiver, workspaceRoot: String?) throws -> (String, String) {
        func resolve(_ p: String) -> String { p.hasPrefix("/") || workspaceRoot == nil ? p : (workspaceRoot! as NSString).appendingPathComponent(p) }
        if let own = r.template {
            let path = resolve(own)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AlertError("vigil.yaml: receivers[\(r.name)].template: cannot read \(path); fix the path or remove 'template' to use the default")
            }
            return (text, path)
        }
        let path = resolve("alerts/\(r.kind.rawValue).mustache")
        if workspaceRoot != nil, let text = try? String(contentsOfFile: path, encoding: .utf8) { return (text, path) }
        return (DefaultTemplates.byKind[r.kind]!, "built-in alerts/\(r.kind.rawValue).mustache")
    }

    /// The built-in template of `kind`, as the file `alerts/<kind>.mustache` holds it.
    public static func builtIn(_ kind: ReceiverKind) -> String { DefaultTemplates.byKind[kind]! + "\n" }

    /// The body for `receiver` from `context`, checked to be JSON; the error names the template.
    public func render(_ context: [String: Any], for receiver: Receiver) throws -> String {
        guard let (template, source) = templates[receiver.name] else {
            throw AlertError("no template loaded for receiver '\(receiver.name)'")
        }
        let body = template.render(context)
        do {
            _ = try JSONSerialization.jsonObject(with: Data(body.utf8))
        } catch {
            throw AlertError("\(source): the rendered body is not valid JSON (\(error.localizedDescription)). Keep `{{value}}` inside quotes, use `{{{value_json}}}` for JSON values, and check commas around `{{#alerts}}`.")
        }
        return body
    }
}
