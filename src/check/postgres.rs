//! Which containers run `PostgreSQL`, for the rules that only make sense
//! there (PGDATA, replicas, `pg_isready` probes): recognised by the image
//! (`postgres:16`, `docker.io/bitnami/postgresql@sha256:…`, with or without
//! registry, tag and digest) or, when the image does not tell, by the
//! [`POSTGRES_ANNOTATION`].

use super::Object;
use crate::yaml::Node;

/// Image names (last path component, before tag and digest) of `PostgreSQL`.
const POSTGRES_IMAGES: &[&str] = &[
    "postgres",
    "postgresql",
    "postgis",
    "timescaledb",
    "timescaledb-ha",
    "pgvector",
    "spilo",
    "postgresql-repmgr",
    "crunchy-postgres",
    "crunchy-postgres-gis",
];

/// Says which containers of a pod run `PostgreSQL` when the image does not
/// tell: `"true"` (all), `"false"` (none, e.g. a `psql` client job on the
/// postgres image) or container names separated by commas. Read from the
/// object's annotations, then its pod template's.
pub const POSTGRES_ANNOTATION: &str = "pgrender.io/postgres";

/// Whether `container` of `object`, whose image is named `image` (see
/// [`image_name`]), runs `PostgreSQL`: the annotation decides when set, else the image.
pub fn runs_postgres(object: &Object<'_>, container: &Node, image: &str) -> bool {
    let annotation = [&["metadata", "annotations"][..], &["spec", "template", "metadata", "annotations"][..]]
        .iter()
        .find_map(|path| object.doc.at(path)?.get(POSTGRES_ANNOTATION)?.as_str());
    match annotation.map(str::trim) {
        Some("true") => true,
        Some("false") => false,
        Some(names) => {
            let name = container.get("name").and_then(Node::as_str).unwrap_or_default();
            names.split(',').any(|n| n.trim() == name)
        }
        // Spilo images carry the major version in the name: spilo-16.
        None => {
            POSTGRES_IMAGES.contains(&image) || image.strip_prefix("spilo-").is_some_and(|v| v.parse::<u32>().is_ok())
        }
    }
}

/// `postgres` from `docker.io/library/postgres:16-alpine` or `registry:5000/postgres@sha256:…`.
pub fn image_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::super::test_objects;
    use super::*;

    #[test]
    fn image_names_drop_registry_path_tag_and_digest() {
        for image in [
            "postgres",
            "postgres:16-alpine",
            "docker.io/library/postgres:16.4",
            "registry.example.com:5000/db/postgres:16",
            "postgres@sha256:0123abcd",
            "ghcr.io/acme/postgres:16@sha256:0123abcd",
        ] {
            assert_eq!(image_name(image), "postgres", "{image}");
        }
        assert_eq!(image_name("docker.io/bitnami/postgresql:16.4.0-debian-12-r0"), "postgresql");
    }

    /// Which containers of a pod (names) count as `PostgreSQL`.
    fn postgres_containers(annotations: &str, containers: &[(&str, &str)]) -> Vec<String> {
        let mut yaml = format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\n{annotations}spec:\n  template:\n    spec:\n      containers:\n"
        );
        for (name, image) in containers {
            let _ = write!(yaml, "      - name: {name}\n        image: {image}\n");
        }
        let mut found = Vec::new();
        test_objects(&[("a.yaml", &yaml)], |objects| {
            for (_, container) in objects[0].containers() {
                let image = image_name(container.get("image").and_then(Node::as_str).unwrap_or_default());
                if runs_postgres(&objects[0], container, image) {
                    found.push(container.get("name").and_then(Node::as_str).unwrap_or_default().to_string());
                }
            }
        });
        found
    }

    #[test]
    fn postgres_images_are_recognised_and_others_are_not() {
        let pod = [
            ("db", "docker.io/bitnami/postgresql:16"),
            ("ha", "ghcr.io/zalando/spilo-16:3.3-p1"),
            ("gis", "postgis/postgis:16-3.4"),
            ("exporter", "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"),
            ("bouncer", "bitnami/pgbouncer:1.23.1"),
            ("api", "ghcr.io/acme/backend:1.4.2"),
        ];
        assert_eq!(postgres_containers("", &pod), ["db", "ha", "gis"]);
    }

    #[test]
    fn the_annotation_overrides_the_image() {
        let pod = [("db", "registry.internal/acme/pg-custom:16"), ("psql", "postgres:16")];
        let annotate = |value: &str| format!("  annotations:\n    pgrender.io/postgres: \"{value}\"\n");
        assert_eq!(postgres_containers(&annotate("true"), &pod), ["db", "psql"]);
        assert_eq!(postgres_containers(&annotate("false"), &pod), Vec::<String>::new());
        assert_eq!(postgres_containers(&annotate("db"), &pod), ["db"]);
        assert_eq!(postgres_containers(&annotate(" other , db "), &pod), ["db"]);
    }
}
