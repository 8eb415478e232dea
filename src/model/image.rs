//! Container images.

/// Index of an image in the scenario's image table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub u32);

/// A container image: a name (`repo:tag`) and its compressed size, which sets the
/// pull time on a node (`latency + size / bandwidth`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// Normalized name; an untagged name gets `:latest`, as kubelet and the
    /// ImageLocality plugin do.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// Appends `:latest` to an untagged image name (`normalizedImageName` in
/// kube-scheduler's ImageLocality plugin). A tag is a `:` after the last `/`,
/// so `registry:5000/app` is untagged; a digest (`@sha256:…`) counts as a tag.
pub fn normalize_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || name.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_names_get_latest() {
        assert_eq!(normalize_image_name("nginx"), "nginx:latest");
        assert_eq!(normalize_image_name("nginx:1.25"), "nginx:1.25");
        assert_eq!(normalize_image_name("registry:5000/app"), "registry:5000/app:latest");
        assert_eq!(normalize_image_name("app@sha256:abc"), "app@sha256:abc");
    }
}
