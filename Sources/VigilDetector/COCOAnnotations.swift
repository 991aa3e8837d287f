import Foundation

/// The COCO ground-truth file a scene set is written as (`annotations.json`): the subset of
/// the format that `vigil ingest labels --coco` and pycocotools read — `images` (`id`,
/// `file_name`, `width`, `height`), `categories` (`id`, `name`), `annotations` (`id`,
/// `image_id`, `category_id`, `bbox` [x, y, w, h], `area`, `iscrowd`) — and an `info` note.
public struct COCOAnnotations: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        public var id: Int
        public var file_name: String
        public var width: Int
        public var height: Int
    }
    public struct Category: Codable, Sendable, Equatable {
        public var id: Int
        public var name: String
    }
    public struct Annotation: Codable, Sendable, Equatable {
        public var id: Int
        public var image_id: Int
        public var category_id: Int
        public var bbox: [Double]
        public var area: Double
        public var iscrowd: Int
    }
    public struct Info: Codable, Sendable, Equatable {
        public var description: String
    }

    public var info: Info?
    public var images: [Image]
    public var categories: [Category]
    public var annotations: [Annotation]
}
