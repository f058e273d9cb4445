//! The references between objects, one function per relation, read from the
//! same parsed documents and selector rules the cross-object checks use.

use std::collections::BTreeMap;

use super::{Builder, Relation};
use crate::check::selectors::LabelIndex;
use crate::check::{Object, references};
use crate::yaml::Node;

/// Adds every edge between `objects` (and to what they name outside the tree).
pub(super) fn add_all(objects: &[Object<'_>], graph: &mut Builder) {
    let tree = Tree { objects, pods: LabelIndex::pods(objects), namespaces: LabelIndex::namespaces(objects) };
    for object in objects {
        namespace(object, graph);
        match object.kind {
            "Service" => service(object, &tree, graph),
            "NetworkPolicy" => network_policy(object, &tree, graph),
            "PodDisruptionBudget" => budget(object, &tree, graph),
            "ExternalSecret" => external_secret(object, graph),
            "PersistentVolumeClaim" => claim_class(object, object.doc.get("spec"), None, graph),
            "ConfigMap" => config_map(object, graph),
            _ => {}
        }
        if object.pod_spec().is_some() {
            workload(object, graph);
        }
    }
}

/// A Namespace rendered in the tree holds its objects.
fn namespace(object: &Object<'_>, graph: &mut Builder) {
    if !object.is_namespaced() {
        return;
    }
    let ns = object.namespace_or_default();
    if graph.has("Namespace", "", ns) {
        let from = graph.node("Namespace", None, ns, None);
        let to = graph.object(object);
        graph.edge(from, to, Relation::Holds, None);
    }
}

/// The tree, with its pods and namespaces indexed by label: a selector is
/// resolved by a lookup, not by trying every object.
struct Tree<'o, 'a> {
    objects: &'o [Object<'a>],
    pods: LabelIndex<'a>,
    namespaces: LabelIndex<'a>,
}

impl<'o, 'a> Tree<'o, 'a> {
    /// Workloads in `namespace` whose pods carry every label of `selector`.
    fn selected<'s>(
        &'s self,
        namespace: &'s str,
        selector: &'s BTreeMap<&str, &str>,
    ) -> impl Iterator<Item = &'o Object<'a>> + 's {
        self.pods.selected(namespace, selector).map(|position| &self.objects[position])
    }
}

fn service(object: &Object<'_>, tree: &Tree<'_, '_>, graph: &mut Builder) {
    let selector = object.doc.at(&["spec", "selector"]).map(Node::string_map).unwrap_or_default();
    let from = graph.object(object);
    for pods in tree.selected(object.namespace_or_default(), &selector) {
        let to = graph.object(pods);
        graph.edge(from, to, Relation::Selects, None);
    }
}

fn network_policy(object: &Object<'_>, tree: &Tree<'_, '_>, graph: &mut Builder) {
    let ns = object.namespace_or_default();
    let from = graph.object(object);
    let targets = object.doc.at(&["spec", "podSelector", "matchLabels"]).map(Node::string_map).unwrap_or_default();
    for pods in tree.selected(ns, &targets) {
        let to = graph.object(pods);
        graph.edge(from, to, Relation::Guards, None);
    }
    let rules = object.doc.at(&["spec", "ingress"]).map(Node::items).unwrap_or_default();
    for peer in rules.iter().flat_map(|rule| rule.get("from").map(Node::items).unwrap_or_default()) {
        let namespaces = peer.at(&["namespaceSelector", "matchLabels"]).map(Node::string_map);
        let pods = peer.at(&["podSelector", "matchLabels"]).map(Node::string_map);
        match (namespaces, pods) {
            (Some(namespaces), None) => admitted_namespaces(&namespaces, tree, from, graph),
            (None, Some(pods)) => {
                for workload in tree.selected(ns, &pods) {
                    let to = graph.object(workload);
                    graph.edge(from, to, Relation::Admits, None);
                }
            }
            // Pods of other namespaces, or an IP block: not objects of the tree.
            _ => {}
        }
    }
}

/// The namespaces a `namespaceSelector` picks: those rendered whose labels
/// match, and a namespace named by `kubernetes.io/metadata.name` even when
/// it is not rendered (the label every namespace carries).
fn admitted_namespaces(selector: &BTreeMap<&str, &str>, tree: &Tree<'_, '_>, from: usize, graph: &mut Builder) {
    let mut matched = false;
    for position in tree.namespaces.selected("", selector) {
        let to = graph.object(&tree.objects[position]);
        graph.edge(from, to, Relation::Admits, None);
        matched = true;
    }
    if let (false, Some(name)) = (matched, selector.get("kubernetes.io/metadata.name")) {
        let to = graph.node("Namespace", None, name, None);
        graph.edge(from, to, Relation::Admits, None);
    }
}

fn budget(object: &Object<'_>, tree: &Tree<'_, '_>, graph: &mut Builder) {
    let selector = object.doc.at(&["spec", "selector", "matchLabels"]).map(Node::string_map).unwrap_or_default();
    let from = graph.object(object);
    for pods in tree.selected(object.namespace_or_default(), &selector) {
        let to = graph.object(pods);
        graph.edge(from, to, Relation::Covers, None);
    }
}

fn external_secret(object: &Object<'_>, graph: &mut Builder) {
    let target = object.doc.at(&["spec", "target", "name"]).and_then(Node::as_str).unwrap_or(object.name);
    let from = graph.object(object);
    let to = graph.node("Secret", Some(object.namespace_or_default()), target, None);
    graph.edge(from, to, Relation::Fills, None);
}

/// A claim (or claim template) storing on a named `StorageClass`.
fn claim_class(object: &Object<'_>, spec: Option<&Node>, via: Option<&str>, graph: &mut Builder) {
    let Some(class) = spec.and_then(|s| s.get("storageClassName")).and_then(Node::as_str) else { return };
    if class.is_empty() {
        return;
    }
    let from = graph.object(object);
    let to = graph.node("StorageClass", None, class, None);
    graph.edge(from, to, Relation::Mounts, via.map(str::to_string));
}

fn config_map(object: &Object<'_>, graph: &mut Builder) {
    for entry in object.doc.get("data").map(Node::entries).unwrap_or_default() {
        if let Some(text) = entry.value.as_str() {
            reaches(object, &entry.key, text, graph);
        }
    }
}

/// An edge to every Service `text` names by DNS: to a rendered Service, or,
/// when the name can only mean a Service (`….svc`), to one outside the tree.
fn reaches(object: &Object<'_>, via: &str, text: &str, graph: &mut Builder) {
    for name in references(text) {
        if !name.explicit && !graph.has("Service", name.namespace, name.service) {
            continue;
        }
        let from = graph.object(object);
        let to = graph.node("Service", Some(name.namespace), name.service, None);
        let via = match name.port {
            Some(port) => format!("{via} :{port}"),
            None => via.to_string(),
        };
        graph.edge(from, to, Relation::Reaches, Some(via));
    }
}

fn workload(object: &Object<'_>, graph: &mut Builder) {
    let Some(spec) = object.pod_spec() else { return };
    let ns = object.namespace_or_default();
    let from = graph.object(object);
    let account = spec.get("serviceAccountName").and_then(Node::as_str).unwrap_or("default");
    if account != "default" {
        let to = graph.node("ServiceAccount", Some(ns), account, None);
        graph.edge(from, to, Relation::Uses, None);
    }
    for volume in spec.get("volumes").map(Node::items).unwrap_or_default() {
        let name = volume.get("name").and_then(Node::as_str).unwrap_or_default();
        for (kind, path) in [
            ("Secret", ["secret", "secretName"]),
            ("ConfigMap", ["configMap", "name"]),
            ("PersistentVolumeClaim", ["persistentVolumeClaim", "claimName"]),
        ] {
            if let Some(target) = volume.at(&path).and_then(Node::as_str) {
                let to = graph.node(kind, Some(ns), target, None);
                graph.edge(from, to, Relation::Mounts, Some(name.to_string()));
            }
        }
    }
    for claim in object.doc.at(&["spec", "volumeClaimTemplates"]).map(Node::items).unwrap_or_default() {
        let name = claim.at(&["metadata", "name"]).and_then(Node::as_str);
        claim_class(object, claim.get("spec"), name, graph);
    }
    for (_, container) in object.containers() {
        for env in container.get("env").map(Node::items).unwrap_or_default() {
            let var = env.get("name").and_then(Node::as_str).unwrap_or_default();
            if let Some(text) = env.get("value").and_then(Node::as_str) {
                reaches(object, var, text, graph);
            }
            for (key, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
                if let Some(target) = env.at(&["valueFrom", key, "name"]).and_then(Node::as_str) {
                    let to = graph.node(kind, Some(ns), target, None);
                    graph.edge(from, to, Relation::Reads, Some(var.to_string()));
                }
            }
        }
        for from_ref in container.get("envFrom").map(Node::items).unwrap_or_default() {
            for (key, kind) in [("secretRef", "Secret"), ("configMapRef", "ConfigMap")] {
                if let Some(target) = from_ref.at(&[key, "name"]).and_then(Node::as_str) {
                    let to = graph.node(kind, Some(ns), target, None);
                    graph.edge(from, to, Relation::Reads, None);
                }
            }
        }
    }
}
