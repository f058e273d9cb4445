//! Checks across objects: the set of rendered objects must hang together —
//! services, selectors, namespaces, volumes and references to Secrets and
//! `ConfigMaps` all name something that exists.

use std::collections::BTreeMap;

use super::rules::{X_NAMESPACE, X_REFERENCE, X_SELECTOR, X_SERVICE, X_VOLUME};
use super::{Finding, Object};
use crate::environment::Environment;
use crate::yaml::Node;

/// Namespaces every cluster has.
const BUILTIN_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Runs the cross-object checks.
pub fn check(objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    statefulset_services(objects, out);
    selectors(objects, out);
    namespaces(objects, settings, out);
    for object in objects {
        volume_mounts(object, out);
        references(object, objects, settings, out);
    }
}

fn find<'o, 'a>(objects: &'o [Object<'a>], kind: &str, namespace: &str, name: &str) -> Option<&'o Object<'a>> {
    objects.iter().find(|o| o.kind == kind && o.name == name && o.namespace_or_default() == namespace)
}

/// The labels of a workload's pod template.
pub(crate) fn pod_labels<'a>(object: &Object<'a>) -> Option<&'a Node> {
    object.doc.at(&["spec", "template", "metadata", "labels"])
}

/// Whether every `selector` label is among `labels`.
pub(crate) fn selects(selector: &BTreeMap<&str, &str>, labels: &BTreeMap<&str, &str>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn statefulset_services(objects: &[Object<'_>], out: &mut Vec<Finding>) {
    for sts in objects.iter().filter(|o| o.kind == "StatefulSet") {
        let Some(service_name) = sts.doc.at(&["spec", "serviceName"]) else { continue };
        let Some(name) = service_name.as_str() else { continue };
        let ns = sts.namespace_or_default();
        let Some(service) = find(objects, "Service", ns, name) else {
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

fn selectors(objects: &[Object<'_>], out: &mut Vec<Finding>) {
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
        let pods: Vec<_> =
            objects.iter().filter(|o| o.pod_spec().is_some() && o.namespace_or_default() == ns).collect();
        if pods.is_empty() || selector.is_empty() {
            continue;
        }
        let matched = pods.iter().any(|p| {
            let labels = if p.kind == "Pod" { p.doc.at(&["metadata", "labels"]) } else { pod_labels(p) };
            selects(&selector, &labels.map(Node::string_map).unwrap_or_default())
        });
        if !matched {
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

fn namespaces(objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    for object in objects.iter().filter(|o| o.is_namespaced()) {
        let Some(ns) = object.namespace else { continue };
        let created = objects.iter().any(|o| o.kind == "Namespace" && o.name == ns);
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
    for (path, container) in object.containers() {
        for (i, mount) in container.get("volumeMounts").map(Node::items).unwrap_or_default().iter().enumerate() {
            let Some(name_node) = mount.get("name") else { continue };
            let Some(name) = name_node.as_str() else { continue };
            if !volumes.contains(&name) {
                let field = format!("{path}.volumeMounts[{i}].name");
                out.push(
                    Finding::new(
                        &X_VOLUME,
                        object,
                        name_node.span.clone(),
                        &field,
                        format!("volumeMount `{name}` names no volume or volumeClaimTemplate"),
                    )
                    .help(format!(
                        "known volumes: {}",
                        if volumes.is_empty() { "(none)".to_string() } else { volumes.join(", ") }
                    )),
                );
            }
        }
    }
}

fn references(object: &Object<'_>, objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    let ns = object.namespace_or_default();
    let mut check = |kind: &str, node: &Node, field: String| {
        let Some(name) = node.as_str() else { return };
        let external = if kind == "Secret" { &settings.external_secrets } else { &settings.external_config_maps };
        if find(objects, kind, ns, name).is_some() || external.contains(name) {
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
