//! One object, one template: the same API group, kind, namespace and name
//! rendered twice in an environment (by one chart or by two) is an error,
//! since `kubectl apply` keeps whichever comes last and drops the other
//! without a word.

use std::collections::{BTreeMap, HashMap};

use super::rules::X_DUPLICATE;
use super::{Finding, Object};

/// Reports every object whose identity an earlier object of the tree already has.
pub fn check(objects: &[Object<'_>], out: &mut Vec<Finding>) {
    let mut first: BTreeMap<(&str, &str, &str, &str), &Object<'_>> = BTreeMap::new();
    // Newline offsets of each file a finding points back into, found once:
    // counting from the file's start for every duplicate is quadratic.
    let mut newlines: HashMap<usize, Vec<usize>> = HashMap::new();
    for object in objects {
        if object.kind.is_empty() || object.name.is_empty() {
            // Reported by the schema checks (K8S003); nothing to compare.
            continue;
        }
        let Some(earlier) = first.get(&identity(object)) else {
            first.insert(identity(object), object);
            continue;
        };
        let name_span = |o: &Object<'_>| o.doc.at(&["metadata", "name"]).map_or(o.doc.span.clone(), |n| n.span.clone());
        let earlier_span = name_span(earlier);
        let offsets = newlines
            .entry(earlier.file)
            .or_insert_with(|| memchr::memchr_iter(b'\n', earlier.text.as_bytes()).collect());
        let line = offsets.partition_point(|&newline| newline < earlier_span.start) + 1;
        out.push(
            Finding::new(
                &X_DUPLICATE,
                object,
                name_span(object),
                "metadata.name",
                format!("{} is rendered twice: first at {}:{line}", object.display(), earlier.path),
            )
            .related(earlier, earlier_span)
            .help("render each object once: drop one of them, or give them different names"),
        );
    }
}

/// What the API server tells objects apart by: group (not version), kind,
/// namespace (for namespaced kinds, `default` when unset) and name.
fn identity<'a>(object: &Object<'a>) -> (&'a str, &'a str, &'a str, &'a str) {
    let group = object.api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let namespace = if object.is_namespaced() { object.namespace_or_default() } else { "" };
    (group, object.kind, namespace, object.name)
}

#[cfg(test)]
mod tests {
    use super::super::test_objects;
    use super::*;

    fn findings(files: &[(&str, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        test_objects(files, |objects| check(objects, &mut out));
        out.iter().map(|f| format!("{}: {}", f.object, f.message)).collect()
    }

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: data\n";

    #[test]
    fn one_object_in_two_files_names_the_first_file_and_line() {
        assert_eq!(
            findings(&[("4-database/a.yaml", SERVICE), ("5-backend/b.yaml", &format!("a: 1\n---\n{SERVICE}"))]),
            ["Service data/db: Service data/db is rendered twice: first at 4-database/a.yaml:4"]
        );
    }

    #[test]
    fn versions_of_one_group_are_one_object_but_namespaces_and_kinds_are_not() {
        let apps = |version: &str, ns: &str| {
            format!("apiVersion: apps/{version}\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n")
        };
        assert_eq!(findings(&[("a.yaml", &apps("v1", "x")), ("b.yaml", &apps("v1beta2", "x"))]).len(), 1);
        assert!(findings(&[("a.yaml", &apps("v1", "x")), ("b.yaml", &apps("v1", "y"))]).is_empty());
        let config_map = SERVICE.replace("kind: Service", "kind: ConfigMap");
        assert!(findings(&[("a.yaml", SERVICE), ("b.yaml", &config_map)]).is_empty());
    }

    #[test]
    fn cluster_scoped_objects_ignore_a_stray_namespace() {
        let ns = |extra: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data\n{extra}");
        assert_eq!(findings(&[("a.yaml", &ns("")), ("b.yaml", &ns("  namespace: other\n"))]).len(), 1);
    }

    #[test]
    fn an_unset_namespace_is_the_default_one() {
        let unset = "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n";
        let default = format!("{unset}  namespace: default\n");
        assert_eq!(findings(&[("a.yaml", unset), ("b.yaml", &default)]).len(), 1);
    }
}
