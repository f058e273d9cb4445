//! Service DNS names in connection settings (XOB007): a backend that reaches
//! the database as `postgres-service.postgresql-prod:5432`, in a container's
//! env value or a `ConfigMap`'s data, must name a Service of the tree on a
//! port it exposes. The charts of a project meet here: the name is written
//! in one chart and the Service rendered by another.
//!
//! What counts as a reference, so ordinary text is left alone: lower-case
//! DNS labels `[host.]service.namespace`, optionally followed by `.svc` or
//! `.svc.cluster.local` and `:port`, standing on their own or inside a URL
//! or a `key=value` list. The short forms (`service.namespace`) count only
//! when the namespace is one the tree renders into; `.svc` names always do.
//!
//! [`references`] is the one reader of such names: `pgrender graph` draws
//! its "reaches" edges from it too, so the picture and the check agree.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use super::rules::X_DNS;
use super::{Finding, Object};
use crate::environment::Environment;
use crate::error::did_you_mean;
use crate::yaml::Node;

/// Namespaces every cluster has, whose Services (kube-dns…) the tree does not render.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// A Service DNS name found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'t> {
    /// Byte range of the name (and its `:port`) in the text.
    pub range: Range<usize>,
    /// The Service.
    pub service: &'t str,
    /// Its namespace.
    pub namespace: &'t str,
    /// The port after the name, if any.
    pub port: Option<u16>,
    /// Whether the name says `.svc`, so it cannot be anything but a Service.
    pub explicit: bool,
}

/// Checks every env value and `ConfigMap` value of the tree.
pub fn check(objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter_map(|o| if o.kind == "Namespace" { Some(o.name) } else { o.namespace.filter(|_| o.is_namespaced()) })
        .collect();
    let mut services: BTreeMap<&str, Vec<&Object<'_>>> = BTreeMap::new();
    let mut by_name = HashMap::new();
    for service in objects.iter().filter(|o| o.kind == "Service") {
        services.entry(service.namespace_or_default()).or_default().push(service);
        by_name.entry((service.namespace_or_default(), service.name)).or_insert(service);
    }
    let mut tree = Tree { services, by_name, settings, helps: HashMap::new() };
    for object in objects {
        for (field, node) in texts(object) {
            let Some(text) = node.as_str() else { continue };
            let mut locator = Locator::new(object, node, text);
            for reference in references(text) {
                if reference.explicit || namespaces.contains(reference.namespace) {
                    tree.resolve(object, &field, &mut locator, &reference, out);
                }
            }
        }
    }
}

/// How many distinct unknown Service names of a tree get a did-you-mean:
/// each one is compared with every Service of its namespace.
const SUGGESTED: usize = 100;

/// How many Service names a help line lists.
const LISTED: usize = 20;

/// What a reference is resolved against.
struct Tree<'o, 'a> {
    /// The tree's Services by namespace, in apply order.
    services: BTreeMap<&'a str, Vec<&'o Object<'a>>>,
    /// The first Service of each (namespace, name).
    by_name: HashMap<(&'a str, &'a str), &'o Object<'a>>,
    settings: &'o Environment,
    /// Help lines already worked out, by (namespace, service): a name
    /// written many times is compared with the Services once.
    helps: HashMap<(String, String), String>,
}

/// The texts that configure connections: container env values and `ConfigMap` data.
fn texts<'a>(object: &Object<'a>) -> Vec<(String, &'a Node)> {
    let mut texts = Vec::new();
    for (path, container) in object.containers() {
        for (i, var) in container.get("env").map(Node::items).unwrap_or_default().iter().enumerate() {
            texts.extend(var.get("value").map(|v| (format!("{path}.env[{i}].value"), v)));
        }
    }
    if object.kind == "ConfigMap" {
        for entry in object.doc.get("data").map(Node::entries).unwrap_or_default() {
            texts.push((format!("data.{}", entry.key), &entry.value));
        }
    }
    texts
}

impl Tree<'_, '_> {
    /// Reports `reference`, found in `text` (the value `node` at `field` of `object`), if nothing serves it.
    fn resolve(
        &mut self,
        object: &Object<'_>,
        field: &str,
        locator: &mut Locator<'_>,
        reference: &Reference<'_>,
        out: &mut Vec<Finding>,
    ) {
        let (service, namespace) = (reference.service, reference.namespace);
        if self.settings.existing_namespaces.contains(namespace)
            || SYSTEM_NAMESPACES.contains(&namespace)
            || (service, namespace) == ("kubernetes", "default")
        {
            return;
        }
        let name = &locator.text[reference.range.clone()];
        let span = locator.locate(reference);
        let Some(target) = self.by_name.get(&(namespace, service)).copied() else {
            let finding = Finding::new(
                &X_DNS,
                object,
                span,
                field,
                format!(
                    "`{name}` names Service `{service}` in namespace `{namespace}`, which the tree does not render"
                ),
            );
            let help = self.help(service, namespace);
            out.push(finding.help(help));
            return;
        };
        let Some(port) = reference.port else { return };
        let spec = target.doc.get("spec");
        if spec.and_then(|s| s.get("type")).and_then(Node::as_str) == Some("ExternalName") {
            return;
        }
        let ports = service_ports(target);
        if !ports.is_empty() && !ports.contains(&i64::from(port)) {
            let listed: Vec<String> = ports.iter().map(ToString::to_string).collect();
            out.push(
                Finding::new(
                    &X_DNS,
                    object,
                    span,
                    field,
                    format!("{} does not expose port {port} (named in `{name}`)", target.display()),
                )
                .help(format!("it exposes {}", listed.join(", ")))
                .related(target, target.doc.at(&["spec", "ports"]).map_or(target.doc.span.clone(), |n| n.span.clone())),
            );
        }
    }
}

impl Tree<'_, '_> {
    /// The help line for a Service name no Service of `namespace` has.
    fn help(&mut self, service: &str, namespace: &str) -> String {
        let key = (namespace.to_string(), service.to_string());
        if let Some(help) = self.helps.get(&key) {
            return help.clone();
        }
        let services = self.services.get(namespace).map(Vec::as_slice).unwrap_or_default();
        let names = || services.iter().map(|s| s.name);
        let close = if self.helps.len() < SUGGESTED { did_you_mean(service, names()) } else { None };
        let help = match close {
            Some(close) => format!("did you mean `{close}`?"),
            None if services.is_empty() => format!(
                "the tree renders no Service in `{namespace}`; if it is created elsewhere, add \"{namespace}\" to `existingNamespaces` in the [environment] table"
            ),
            None => {
                let listed = names().take(LISTED).collect::<Vec<_>>().join(", ");
                match services.len().checked_sub(LISTED) {
                    Some(more) if more > 0 => format!("Services in `{namespace}`: {listed} and {more} more"),
                    _ => format!("Services in `{namespace}`: {listed}"),
                }
            }
        };
        self.helps.insert(key, help.clone());
        help
    }
}

/// The ports a client can reach through the Service: its `port`s, and for
/// a headless Service (whose DNS name gives the pods' addresses) the
/// numeric `targetPort`s too.
fn service_ports(service: &Object<'_>) -> BTreeSet<i64> {
    let headless = service.doc.at(&["spec", "clusterIP"]).and_then(Node::as_str) == Some("None");
    let mut ports = BTreeSet::new();
    for port in service.doc.at(&["spec", "ports"]).map(Node::items).unwrap_or_default() {
        ports.extend(port.get("port").and_then(Node::as_int));
        if headless {
            ports.extend(port.get("targetPort").and_then(Node::as_int));
        }
    }
    ports
}

/// Finds the references of one scalar in the file, left to right: the
/// same characters in the scalar as written (a plain or quoted scalar holds
/// them verbatim), else the whole scalar. Each search starts where the
/// previous one ended, so placing every reference of a text costs one pass
/// over it, however many there are.
struct Locator<'t> {
    /// The scalar's value.
    text: &'t str,
    /// The scalar as written in the file.
    raw: &'t str,
    /// Where the scalar is in the file.
    span: Range<usize>,
    /// Where the last placed reference ended, in `text` and in `raw`;
    /// `None` once one could not be placed, after which none is searched for.
    after: Option<(usize, usize)>,
}

impl<'t> Locator<'t> {
    fn new(object: &Object<'t>, node: &Node, text: &'t str) -> Self {
        let raw = object.text.get(node.span.clone()).unwrap_or_default();
        Locator { text, raw, span: node.span.clone(), after: Some((0, 0)) }
    }

    /// The place of `reference`, which comes after the ones placed before.
    fn locate(&mut self, reference: &Reference<'_>) -> Range<usize> {
        let name = &self.text[reference.range.clone()];
        let found = self.after.and_then(|(text_at, raw_at)| {
            let nth = self.text.get(text_at..reference.range.start)?.matches(name).count();
            let (at, _) = self.raw[raw_at..].match_indices(name).nth(nth)?;
            Some(raw_at + at)
        });
        self.after = found.map(|at| (reference.range.end, at + name.len()));
        found.map_or(self.span.clone(), |at| self.span.start + at..self.span.start + at + name.len())
    }
}

/// Every Service DNS name in `text`, in order.
pub fn references(text: &str) -> Vec<Reference<'_>> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        let name = text[start..i].strip_suffix('.').unwrap_or(&text[start..i]);
        let Some((service, namespace, explicit)) = service_name(name) else { continue };
        let mut end = start + name.len();
        let mut port = None;
        if end == i && bytes.get(i) == Some(&b':') {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            let after = bytes.get(i + 1 + digits);
            if digits > 0 && after.is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'.') {
                port = text[i + 1..i + 1 + digits].parse().ok();
                if port.is_some() {
                    end = i + 1 + digits;
                    i = end;
                }
            }
        }
        found.push(Reference { range: start..end, service, namespace, port, explicit });
    }
    found
}

/// `(service, namespace, explicit)` of a name like `[host.]svc.ns[.svc[.cluster.local]]`.
fn service_name(name: &str) -> Option<(&str, &str, bool)> {
    let labels: Vec<&str> = name.split('.').collect();
    if !labels.iter().all(|l| is_label(l)) {
        return None;
    }
    let (core, explicit) = match labels.as_slice() {
        [core @ .., "svc", "cluster", "local"] | [core @ .., "svc"] => (core, true),
        core => (core, false),
    };
    match core {
        [service, namespace] => Some((*service, *namespace, explicit)),
        // A pod behind a headless Service; in the short form only a
        // StatefulSet pod's name (`postgres-0`) is taken as one.
        [host, service, namespace] if explicit || is_ordinal_name(host) => Some((*service, *namespace, explicit)),
        _ => None,
    }
    .filter(|(service, _, _)| service.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// A DNS-1123 label as Kubernetes names use it: lower-case letters, digits and inner dashes.
fn is_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// `name-N`, as `StatefulSet` pods are named.
fn is_ordinal_name(label: &str) -> bool {
    label.rsplit_once('-').is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::super::test_objects;
    use super::*;

    fn names(text: &str) -> Vec<(&str, &str, &str, Option<u16>, bool)> {
        references(text).into_iter().map(|r| (&text[r.range], r.service, r.namespace, r.port, r.explicit)).collect()
    }

    #[test]
    fn every_form_of_a_service_name_is_found() {
        let db = ("postgres-service", "postgresql-prod");
        for (text, name, port, explicit) in [
            ("postgres-service.postgresql-prod", "postgres-service.postgresql-prod", None, false),
            ("postgres-service.postgresql-prod:5432", "postgres-service.postgresql-prod:5432", Some(5432), false),
            ("postgres-service.postgresql-prod.svc", "postgres-service.postgresql-prod.svc", None, true),
            (
                "postgres-service.postgresql-prod.svc.cluster.local.",
                "postgres-service.postgresql-prod.svc.cluster.local",
                None,
                true,
            ),
            (
                "postgres://app@postgres-service.postgresql-prod:5432/wealist?sslmode=disable",
                "postgres-service.postgresql-prod:5432",
                Some(5432),
                false,
            ),
            (
                "jdbc:postgresql://postgres-service.postgresql-prod.svc:5433/db",
                "postgres-service.postgresql-prod.svc:5433",
                Some(5433),
                true,
            ),
            ("host=postgres-service.postgresql-prod port=5432", "postgres-service.postgresql-prod", None, false),
            (
                "postgres-0.postgres-service.postgresql-prod.svc.cluster.local:5432",
                "postgres-0.postgres-service.postgresql-prod.svc.cluster.local:5432",
                Some(5432),
                true,
            ),
            ("postgres-0.postgres-service.postgresql-prod", "postgres-0.postgres-service.postgresql-prod", None, false),
        ] {
            assert_eq!(names(text), [(name, db.0, db.1, port, explicit)], "{text}");
        }
    }

    #[test]
    fn lists_give_one_reference_each() {
        let found = names("a.data:5432,b.data:5433 c.data.svc");
        assert_eq!(
            found.iter().map(|f| (f.0, f.3)).collect::<Vec<_>>(),
            [("a.data:5432", Some(5432)), ("b.data:5433", Some(5433)), ("c.data.svc", None)]
        );
    }

    #[test]
    fn ordinary_text_is_not_a_service_name() {
        for text in [
            "/var/lib/postgresql/data",
            "10.0.0.1:5432",
            "org.postgresql.Driver",
            "user_name.data",
            "v1.2.3",
            "www.example.com",
            "a.b.c.d.e",
            "plain",
            "-x.y",
            "{{ .Values.host }}",
        ] {
            assert_eq!(names(text), [], "{text}");
        }
        // Two labels may be anything; the check asks whether `yaml` is a namespace of the tree.
        assert_eq!(names("config.yaml:80abc"), [("config.yaml", "config", "yaml", None, false)]);
    }

    const TREE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: data\nspec:\n  ports:\n  - port: 5432\n";

    fn findings(config: &str, settings: impl FnOnce(&mut Environment)) -> Vec<String> {
        let config =
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: data\ndata:\n{config}");
        let mut s = super::super::test_environment();
        settings(&mut s);
        let mut out = Vec::new();
        test_objects(&[("4-database/db.yaml", TREE), ("5-backend/config.yaml", &config)], |objects| {
            check(objects, &s, &mut out);
        });
        out.iter()
            .map(|f| {
                let text = if f.file == Some(1) { config.as_str() } else { TREE };
                format!("{} @{} {}", f.field, &text[f.span.clone()], f.message)
            })
            .collect()
    }

    #[test]
    fn a_name_or_port_nothing_serves_is_found_at_its_characters() {
        assert!(findings("  url: postgres://u@db.data:5432/app\n", |_| {}).is_empty());
        assert_eq!(
            findings("  url: \"postgres://u@dbb.data:5432/app\"\n", |_| {}),
            [
                "data.url @dbb.data:5432 `dbb.data:5432` names Service `dbb` in namespace `data`, which the tree does not render"
            ]
        );
        assert_eq!(
            findings("  host: |\n    first\n    db.data.svc:6432\n", |_| {}),
            ["data.host @db.data.svc:6432 Service data/db does not expose port 6432 (named in `db.data.svc:6432`)"]
        );
    }

    #[test]
    fn a_name_written_many_times_is_found_at_each_place() {
        let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: data\ndata:\n  \
                      hosts: |\n    x dbb.data:1 dbb.data:1\n    dbb.data:1\n";
        let mut out = Vec::new();
        test_objects(&[("4-database/db.yaml", TREE), ("5-backend/config.yaml", config)], |objects| {
            check(objects, &super::super::test_environment(), &mut out);
        });
        let places: Vec<usize> = out.iter().map(|f| f.span.start).collect();
        let expected: Vec<usize> = config.match_indices("dbb.data:1").map(|(at, _)| at).collect();
        assert_eq!(places, expected);
        assert_eq!(out[0].help.as_deref(), Some("did you mean `db`?"));
    }

    #[test]
    fn the_services_listed_in_a_help_line_are_bounded() {
        let services = (0..25)
            .map(|i| format!("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n  namespace: many\n"))
            .collect::<Vec<_>>()
            .concat();
        let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: many\n\
                      data:\n  host: unrelated-name.many.svc\n";
        let mut out = Vec::new();
        test_objects(&[("4-database/s.yaml", &services[4..]), ("5-backend/config.yaml", config)], |objects| {
            check(objects, &super::super::test_environment(), &mut out);
        });
        let help = out[0].help.as_deref().unwrap_or_default();
        assert!(help.starts_with("Services in `many`: s0, s1, "), "{help}");
        assert!(help.ends_with(", s19 and 5 more"), "{help}");
    }

    #[test]
    fn unknown_namespaces_count_only_in_the_svc_form() {
        assert!(findings("  site: https://docs.example.com/x and config.yaml\n", |_| {}).is_empty());
        assert_eq!(findings("  host: cache.other.svc\n", |_| {}).len(), 1);
        assert!(
            findings("  host: cache.other.svc\n", |s| {
                s.existing_namespaces.insert("other".into());
            })
            .is_empty()
        );
        assert!(findings("  a: kube-dns.kube-system.svc\n  b: kubernetes.default.svc:443\n", |_| {}).is_empty());
    }

    fn graph_names(text: &str) -> Vec<(&str, &str, Option<u16>, bool)> {
        references(text).into_iter().map(|n| (n.service, n.namespace, n.port, n.explicit)).collect()
    }

    #[test]
    fn finds_every_service_dns_form() {
        assert_eq!(
            graph_names("postgres-service.postgresql-prod"),
            [("postgres-service", "postgresql-prod", None, false)]
        );
        assert_eq!(graph_names("db.data.svc:5432"), [("db", "data", Some(5432), true)]);
        assert_eq!(graph_names("db.data.svc.cluster.local."), [("db", "data", None, true)]);
        assert_eq!(
            graph_names("postgres-0.postgres-service.db.svc.cluster.local"),
            [("postgres-service", "db", None, true)]
        );
        assert_eq!(
            graph_names("postgres://app@postgres-service.postgresql-prod:5432/wealist?sslmode=disable"),
            [("postgres-service", "postgresql-prod", Some(5432), false)]
        );
        assert_eq!(graph_names("a.b.svc, c.d.svc"), [("a", "b", None, true), ("c", "d", None, true)]);
    }

    #[test]
    fn ignores_what_is_not_a_service_name() {
        for text in ["postgres", "api.example.com", "1.2.3.4", "Db.Data.svc", "-a.b.svc", "/var/lib/postgresql", ""] {
            assert_eq!(graph_names(text), [], "{text}");
        }
    }
}
