//! Checks across objects: the set of rendered objects must hang together —
//! services, selectors, namespaces, volumes and references to Secrets and
//! `ConfigMaps` all name something that exists.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::rules::{X_NAMESPACE, X_REFERENCE, X_SELECTOR, X_SERVICE, X_VOLUME};
use super::selectors::{LabelIndex, pod_labels, selects};
use super::{Finding, Object};
use crate::environment::Environment;
use crate::yaml::Node;

/// Namespaces every cluster has.
const BUILTIN_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Runs the cross-object checks.
pub fn check(objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    let index = Index::new(objects);
    statefulset_services(objects, &index, out);
    selectors(objects, &index, out);
    namespaces(objects, &index, settings, out);
    for object in objects {
        volume_mounts(object, out);
        references(object, &index, settings, out);
    }
}

/// The objects by kind, namespace and name, and the workloads by namespace:
/// built once, so that checking every reference of every object costs a
/// lookup each instead of a walk over all objects.
struct Index<'o, 'a> {
    by_name: HashMap<(&'a str, &'a str, &'a str), &'o Object<'a>>,
    namespaces: BTreeSet<&'a str>,
    /// Namespaces with at least one workload or pod.
    with_pods: BTreeSet<&'a str>,
    /// The pod labels of every workload and pod.
    pods: LabelIndex<'a>,
}

impl<'o, 'a> Index<'o, 'a> {
    fn new(objects: &'o [Object<'a>]) -> Self {
        let mut index = Index {
            by_name: HashMap::new(),
            namespaces: BTreeSet::new(),
            with_pods: BTreeSet::new(),
            pods: LabelIndex::pods(objects),
        };
        for object in objects {
            // The first of two same-named objects wins, as a search in order would find it.
            index.by_name.entry((object.kind, object.namespace_or_default(), object.name)).or_insert(object);
            if object.kind == "Namespace" {
                index.namespaces.insert(object.name);
            }
            if object.pod_spec().is_some() {
                index.with_pods.insert(object.namespace_or_default());
            }
        }
        index
    }

    /// Whether a non-empty `selector` selects the pods of a workload in `namespace`.
    fn selects_a_pod(&self, namespace: &str, selector: &BTreeMap<&str, &str>) -> bool {
        self.pods.selected(namespace, selector).next().is_some()
    }

    fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<&'o Object<'a>> {
        self.by_name.get(&(kind, namespace, name)).copied()
    }
}

fn statefulset_services(objects: &[Object<'_>], index: &Index<'_, '_>, out: &mut Vec<Finding>) {
    for sts in objects.iter().filter(|o| o.kind == "StatefulSet") {
        let Some(service_name) = sts.doc.at(&["spec", "serviceName"]) else { continue };
        let Some(name) = service_name.as_str() else { continue };
        let ns = sts.namespace_or_default();
        let Some(service) = index.find("Service", ns, name) else {
            out.push(
                Finding::new(
                    &X_SERVICE,
                    sts,
                    service_name.span.clone(),
                    "spec.serviceName",
                    format!("no Service `{name}` in namespace `{ns}`"),
                )
                .help("add a headless Service (clusterIP: None) with this name, selecting the StatefulSet's pods"),
            );
            continue;
        };
        let cluster_ip = service.doc.at(&["spec", "clusterIP"]);
        if cluster_ip.and_then(Node::as_str) != Some("None") {
            let span = cluster_ip.map_or(service.doc.span.clone(), |n| n.span.clone());
            out.push(
                Finding::new(
                    &X_SERVICE,
                    service,
                    span,
                    "spec.clusterIP",
                    format!("Service `{name}` is the serviceName of StatefulSet {} but is not headless", sts.name),
                )
                .help("set `clusterIP: None` so each pod gets a stable DNS name"),
            );
        }
        let selector = service.doc.at(&["spec", "selector"]).map(Node::string_map).unwrap_or_default();
        let labels = pod_labels(sts).map(Node::string_map).unwrap_or_default();
        if !selects(&selector, &labels) {
            let span = service.doc.at(&["spec", "selector"]).map_or(service.doc.span.clone(), |n| n.span.clone());
            out.push(Finding::new(
                &X_SERVICE,
                service,
                span,
                "spec.selector",
                format!("selector {selector:?} of Service `{name}` does not match the pod labels {labels:?} of StatefulSet {}", sts.name),
            ));
        }
    }
}

fn selectors(objects: &[Object<'_>], index: &Index<'_, '_>, out: &mut Vec<Finding>) {
    for object in objects.iter().filter(|o| matches!(o.kind, "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"))
    {
        let Some(match_labels) = object.doc.at(&["spec", "selector", "matchLabels"]) else { continue };
        let selector = match_labels.string_map();
        let labels = pod_labels(object).map(Node::string_map).unwrap_or_default();
        if !selector.is_empty() && !selects(&selector, &labels) {
            out.push(Finding::new(
                &X_SELECTOR,
                object,
                match_labels.span.clone(),
                "spec.selector.matchLabels",
                format!("selector {selector:?} does not match the pod template labels {labels:?}"),
            ));
        }
    }
    for service in objects.iter().filter(|o| o.kind == "Service") {
        let Some(selector_node) = service.doc.at(&["spec", "selector"]) else { continue };
        let selector = selector_node.string_map();
        let ns = service.namespace_or_default();
        if !index.with_pods.contains(ns) || selector.is_empty() {
            continue;
        }
        if !index.selects_a_pod(ns, &selector) {
            out.push(Finding::new(
                &X_SELECTOR,
                service,
                selector_node.span.clone(),
                "spec.selector",
                format!("selector {selector:?} matches no pod of the workloads in namespace `{ns}`"),
            ));
        }
    }
}

fn namespaces(objects: &[Object<'_>], index: &Index<'_, '_>, settings: &Environment, out: &mut Vec<Finding>) {
    for object in objects.iter().filter(|o| o.is_namespaced()) {
        let Some(ns) = object.namespace else { continue };
        let created = index.namespaces.contains(ns);
        if created || BUILTIN_NAMESPACES.contains(&ns) || settings.existing_namespaces.contains(ns) {
            continue;
        }
        let span = object.doc.at(&["metadata", "namespace"]).map_or(object.doc.span.clone(), |n| n.span.clone());
        out.push(
            Finding::new(
                &X_NAMESPACE,
                object,
                span,
                "metadata.namespace",
                format!("namespace `{ns}` is not created by this tree"),
            )
            .help(format!("render a Namespace `{ns}`, or add it to `existingNamespaces` in the [environment] table")),
        );
    }
}

fn volume_mounts(object: &Object<'_>, out: &mut Vec<Finding>) {
    let Some(spec) = object.pod_spec() else { return };
    let mut volumes: Vec<&str> = spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.get("name")?.as_str())
        .collect();
    let claims = object.doc.at(&["spec", "volumeClaimTemplates"]).map(Node::items).unwrap_or_default();
    volumes.extend(claims.iter().filter_map(|c| c.at(&["metadata", "name"])?.as_str()));
    let known: HashSet<&str> = volumes.iter().copied().collect();
    // Built once and bounded: every unknown mount of the object shares it.
    let mut help = None;
    for (path, container) in object.containers() {
        for (i, mount) in container.get("volumeMounts").map(Node::items).unwrap_or_default().iter().enumerate() {
            let Some(name_node) = mount.get("name") else { continue };
            let Some(name) = name_node.as_str() else { continue };
            if !known.contains(name) {
                let field = format!("{path}.volumeMounts[{i}].name");
                out.push(
                    Finding::new(
                        &X_VOLUME,
                        object,
                        name_node.span.clone(),
                        &field,
                        format!("volumeMount `{name}` names no volume or volumeClaimTemplate"),
                    )
                    .help(help.get_or_insert_with(|| known_volumes(&volumes)).clone()),
                );
            }
        }
    }
}

/// The `help:` line listing a pod's volumes, at most [`VOLUMES_SHOWN`] of them.
fn known_volumes(volumes: &[&str]) -> String {
    let shown = volumes[..volumes.len().min(VOLUMES_SHOWN)].join(", ");
    match volumes.len() {
        0 => "known volumes: (none)".to_string(),
        n if n > VOLUMES_SHOWN => format!("known volumes: {shown} and {} more", n - VOLUMES_SHOWN),
        _ => format!("known volumes: {shown}"),
    }
}

/// How many volume names a help line lists.
const VOLUMES_SHOWN: usize = 20;

fn references(object: &Object<'_>, index: &Index<'_, '_>, settings: &Environment, out: &mut Vec<Finding>) {
    let ns = object.namespace_or_default();
    let mut check = |kind: &str, node: &Node, field: String| {
        let Some(name) = node.as_str() else { return };
        let external = if kind == "Secret" { &settings.external_secrets } else { &settings.external_config_maps };
        if index.find(kind, ns, name).is_some() || external.contains(name) {
            return;
        }
        let list = if kind == "Secret" { "externalSecrets" } else { "externalConfigMaps" };
        out.push(
            Finding::new(
                &X_REFERENCE,
                object,
                node.span.clone(),
                &field,
                format!("{kind} `{name}` is neither in the tree (namespace `{ns}`) nor declared external"),
            )
            .help(format!("render the {kind}, or add \"{name}\" to `{list}` in the [environment] table")),
        );
    };
    for (path, container) in object.containers() {
        for (i, env) in container.get("env").map(Node::items).unwrap_or_default().iter().enumerate() {
            for (key, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
                let Some(reference) = env.at(&["valueFrom", key]) else { continue };
                if reference.get("optional").is_some_and(|o| o.value == crate::yaml::Value::Bool(true)) {
                    continue;
                }
                if let Some(name) = reference.get("name") {
                    check(kind, name, format!("{path}.env[{i}].valueFrom.{key}.name"));
                }
            }
        }
        for (i, from) in container.get("envFrom").map(Node::items).unwrap_or_default().iter().enumerate() {
            for (key, kind) in [("secretRef", "Secret"), ("configMapRef", "ConfigMap")] {
                if let Some(name) = from.at(&[key, "name"]) {
                    check(kind, name, format!("{path}.envFrom[{i}].{key}.name"));
                }
            }
        }
    }
    let volumes = object.pod_spec().and_then(|s| s.get("volumes")).map(Node::items).unwrap_or_default();
    for (i, volume) in volumes.iter().enumerate() {
        if let Some(name) = volume.at(&["secret", "secretName"]) {
            check("Secret", name, format!("volumes[{i}].secret.secretName"));
        }
        if let Some(name) = volume.at(&["configMap", "name"]) {
            check("ConfigMap", name, format!("volumes[{i}].configMap.name"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_volume_list_is_bounded() {
        assert_eq!(known_volumes(&[]), "known volumes: (none)");
        assert_eq!(known_volumes(&["data", "run"]), "known volumes: data, run");
        let many: Vec<String> = (0..25).map(|i| format!("v{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let help = known_volumes(&many);
        assert!(help.starts_with("known volumes: v0, v1, "), "{help}");
        assert!(help.ends_with("v19 and 5 more"), "{help}");
    }
}
