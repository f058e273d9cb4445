//! The rules learnt the hard way running databases on Kubernetes (SEED.md):
//! workload kind, PGDATA, passwords, storage classes, replicas, resources,
//! image tags and probes. Most hold for any workload; PGDATA and replicas
//! are checked on `PostgreSQL` containers only (see [`super::postgres`]).

use std::collections::HashSet;

use super::postgres::{image_name, runs_postgres};
use super::rules::{
    PG_IMAGE_TAG, PG_LIMITS, PG_PASSWORD, PG_PGDATA, PG_PROBES, PG_REPLICAS, PG_REQUESTS, PG_STORAGE_CLASS, PG_WORKLOAD,
};
use super::{Finding, Object};
use crate::diagnostic::Severity;
use crate::environment::{Environment, Provider};
use crate::yaml::{Node, Value};

/// Image names of databases that must not run as a Deployment.
const DATABASE_IMAGES: &[&str] = &["mysql", "mariadb", "mongo", "mongodb", "percona", "cockroach", "cassandra"];
/// Key-value stores that are databases only when they persist to a claim.
const CACHE_IMAGES: &[&str] = &["redis", "valkey", "keydb"];
/// The official postgres image's PGDATA when the variable is unset.
const DEFAULT_PGDATA: &str = "/var/lib/postgresql/data";

/// Runs the `PostgreSQL` and workload rules.
pub fn check(objects: &[Object<'_>], settings: &Environment, out: &mut Vec<Finding>) {
    shared_claims(objects, out);
    let classes: HashSet<&str> = objects.iter().filter(|o| o.kind == "StorageClass").map(|o| o.name).collect();
    for object in objects {
        storage_classes(object, &classes, settings, out);
        let Some(spec) = object.pod_spec() else { continue };
        let has_claim = spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some() && may_hold_data(object, v));
        let replicas = object.doc.at(&["spec", "replicas"]).and_then(Node::as_int).unwrap_or(1);
        let mut postgres = false;
        for (path, container) in object.containers() {
            let image = container.get("image");
            let name = image.and_then(Node::as_str).map(image_name).unwrap_or_default();
            let is_postgres = runs_postgres(object, container, name);
            let is_db = is_postgres || DATABASE_IMAGES.contains(&name) || (CACHE_IMAGES.contains(&name) && has_claim);
            postgres |= is_postgres;
            if let (true, Some(image)) = (is_db, image) {
                if matches!(object.kind, "Deployment" | "ReplicaSet" | "DaemonSet") {
                    out.push(Finding::new(&PG_WORKLOAD, object, image.span.clone(), &format!("{path}.image"), format!("database image `{name}` runs in a {}", object.kind))
                        .help("run databases in a StatefulSet with volumeClaimTemplates: stable pod names, one PVC per pod, ordered start-up"));
                } else if has_claim && replicas > 1 {
                    out.push(
                        Finding::new(
                            &PG_WORKLOAD,
                            object,
                            image.span.clone(),
                            &format!("{path}.image"),
                            format!("{replicas} replicas of database `{name}` share one PersistentVolumeClaim"),
                        )
                        .help("use volumeClaimTemplates so each pod gets its own claim"),
                    );
                }
            }
            if is_postgres {
                pgdata(object, &path, container, out);
            }
            passwords(object, &path, container, settings, out);
            resources(object, &path, container, out);
            image_tag(object, &path, image, out);
            let init = path.contains("initContainers");
            if !init
                && !matches!(object.kind, "Job" | "CronJob" | "Pod")
                && container.get("readinessProbe").is_none()
                && container.get("livenessProbe").is_none()
            {
                let span = container.get("name").map_or(container.span.clone(), |n| n.span.clone());
                let help = if is_postgres {
                    "exec `pg_isready -U \"$POSTGRES_USER\"` as readiness and liveness probe"
                } else {
                    "add a readinessProbe (httpGet, tcpSocket or exec) that passes once the container serves, and a livenessProbe that fails when it hangs"
                };
                out.push(
                    Finding::new(
                        &PG_PROBES,
                        object,
                        span,
                        &path,
                        "container has no readinessProbe and no livenessProbe".to_string(),
                    )
                    .help(help),
                );
            }
        }
        if postgres && replicas > 1 && !replication_configured(object) {
            let span = object.doc.at(&["spec", "replicas"]).map_or(object.doc.span.clone(), |n| n.span.clone());
            out.push(Finding::new(&PG_REPLICAS, object, span, "spec.replicas", format!("{replicas} PostgreSQL replicas but no replication is configured"))
                .help("start with replicas: 1; for several, configure streaming replication (Patroni, repmgr or an operator)"));
        }
    }
}

fn env_vars(container: &Node) -> &[Node] {
    container.get("env").map(Node::items).unwrap_or_default()
}

fn replication_configured(object: &Object<'_>) -> bool {
    let annotated = object.doc.at(&["metadata", "annotations", "pgrender.io/replication"]).is_some();
    annotated
        || object.containers().iter().any(|(_, c)| {
            let image = c.get("image").and_then(Node::as_str).unwrap_or_default();
            image.contains("repmgr")
                || image.contains("spilo")
                || image.contains("patroni")
                || env_vars(c)
                    .iter()
                    .filter_map(|e| e.get("name")?.as_str())
                    .any(|n| n.contains("REPLICATION") || n.starts_with("PATRONI_") || n.starts_with("REPMGR_"))
        })
}

fn pgdata(object: &Object<'_>, path: &str, container: &Node, out: &mut Vec<Finding>) {
    let mounts = container.get("volumeMounts").map(Node::items).unwrap_or_default();
    let mount_paths: Vec<(&Node, &str)> = mounts
        .iter()
        .filter_map(|m| {
            let node = m.get("mountPath")?;
            Some((node, node.as_str()?.trim_end_matches('/')))
        })
        .collect();
    let pgdata =
        env_vars(container).iter().enumerate().find(|(_, e)| e.get("name").and_then(Node::as_str) == Some("PGDATA"));
    match pgdata {
        Some((i, var)) => {
            let Some(value) = var.get("value") else { return };
            let Some(text) = value.as_str() else { return };
            if mount_paths.iter().any(|(_, p)| *p == text.trim_end_matches('/')) {
                out.push(
                    Finding::new(
                        &PG_PGDATA,
                        object,
                        value.span.clone(),
                        &format!("{path}.env[{i}].value"),
                        format!("PGDATA `{text}` is the root of a mounted volume"),
                    )
                    .help(format!("use a subdirectory, e.g. PGDATA={}/pgdata", text.trim_end_matches('/'))),
                );
            }
        }
        None => {
            if let Some((node, _)) = mount_paths.iter().find(|(_, p)| *p == DEFAULT_PGDATA) {
                out.push(
                    Finding::new(
                        &PG_PGDATA,
                        object,
                        node.span.clone(),
                        path,
                        format!("a volume is mounted at {DEFAULT_PGDATA}, the image's default PGDATA"),
                    )
                    .help(format!("set env PGDATA={DEFAULT_PGDATA}/pgdata")),
                );
            }
        }
    }
}

fn passwords(object: &Object<'_>, path: &str, container: &Node, settings: &Environment, out: &mut Vec<Finding>) {
    for (i, var) in env_vars(container).iter().enumerate() {
        let name = var.get("name").and_then(Node::as_str).unwrap_or_default().to_ascii_uppercase();
        let secret_like =
            ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"].iter().any(|w| name.contains(w));
        let Some(value) = var.get("value") else { continue };
        if !secret_like || value.as_str().is_none_or(str::is_empty) || name.ends_with("_FILE") {
            continue;
        }
        let mut finding = Finding::new(
            &PG_PASSWORD,
            object,
            value.span.clone(),
            &format!("{path}.env[{i}].value"),
            format!("`{name}` is set in plain text"),
        )
        .help("store it in a Secret and read it with valueFrom.secretKeyRef");
        if settings.provider == Provider::K3d {
            finding.severity = Severity::Warning;
        }
        out.push(finding);
    }
}

fn resources(object: &Object<'_>, path: &str, container: &Node, out: &mut Vec<Finding>) {
    let resources = container.get("resources");
    let limits = resources.and_then(|r| r.get("limits"));
    let requests = resources.and_then(|r| r.get("requests"));
    if limits.is_none_or(|l| l.entries().is_empty()) {
        let span = container.get("name").map_or(container.span.clone(), |n| n.span.clone());
        out.push(
            Finding::new(
                &PG_LIMITS,
                object,
                span,
                &format!("{path}.resources.limits"),
                "container has no resource limits".to_string(),
            )
            .help("set resources.limits.memory (and requests) so one pod cannot take the node's memory"),
        );
        return;
    }
    for entry in requests.map(Node::entries).unwrap_or_default() {
        let limit = limits.and_then(|l| l.get(&entry.key)).and_then(quantity);
        if let (Some(request), Some(limit)) = (quantity(&entry.value), limit)
            && request > limit
        {
            out.push(Finding::new(
                &PG_REQUESTS,
                object,
                entry.value.span.clone(),
                &format!("{path}.resources.requests.{}", entry.key),
                format!("request for {} is above its limit", entry.key),
            ));
        }
    }
}

fn image_tag(object: &Object<'_>, path: &str, image: Option<&Node>, out: &mut Vec<Finding>) {
    let Some(node) = image else { return };
    let Some(text) = node.as_str() else { return };
    if text.contains('@') {
        return;
    }
    let last = text.rsplit('/').next().unwrap_or(text);
    let tag = last.split_once(':').map(|(_, t)| t);
    if tag.is_none_or(|t| t == "latest") {
        let repository = tag.map_or(text, |t| &text[..text.len() - t.len() - 1]);
        out.push(
            Finding::new(
                &PG_IMAGE_TAG,
                object,
                node.span.clone(),
                &format!("{path}.image"),
                format!("image `{text}` has no fixed tag"),
            )
            .help(format!("pin a version tag, e.g. {repository}:<version>, or a digest")),
        );
    }
}

/// Claims on a `StorageClass` that neither the tree (`in_tree`) nor the provider offers.
fn storage_classes(object: &Object<'_>, in_tree: &HashSet<&str>, settings: &Environment, out: &mut Vec<Finding>) {
    let mut claims: Vec<(String, &Node)> = Vec::new();
    match object.kind {
        "PersistentVolumeClaim" => claims
            .extend(object.doc.at(&["spec", "storageClassName"]).map(|n| ("spec.storageClassName".to_string(), n))),
        "StatefulSet" => {
            for (i, t) in
                object.doc.at(&["spec", "volumeClaimTemplates"]).map(Node::items).unwrap_or_default().iter().enumerate()
            {
                claims.extend(
                    t.at(&["spec", "storageClassName"])
                        .map(|n| (format!("spec.volumeClaimTemplates[{i}].spec.storageClassName"), n)),
                );
            }
        }
        _ => {}
    }
    for (field, node) in claims {
        let Some(class) = node.as_str() else { continue };
        let offered = settings.storage_classes();
        if class.is_empty() || in_tree.contains(class) || offered.contains(&class) {
            continue;
        }
        out.push(
            Finding::new(
                &PG_STORAGE_CLASS,
                object,
                node.span.clone(),
                &field,
                format!("StorageClass `{class}` is not offered on {}", settings.provider),
            )
            .help(format!(
                "{} offers: {}; list this cluster's classes in `storageClasses` of the [environment] table",
                settings.provider,
                offered.join(", ")
            )),
        );
    }
}

/// A quantity's value, for comparisons (`500m` = 0.5, `1Gi` = 2^30).
fn quantity(node: &Node) -> Option<f64> {
    let text = match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => return Some(*f),
        _ => return None,
    };
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0_f64.powi(4),
        _ => return None,
    };
    Some(number * factor)
}

/// A claim mounted by pods of two workloads: two writers on one volume.
fn shared_claims(objects: &[Object<'_>], out: &mut Vec<Finding>) {
    let mut first_user: std::collections::BTreeMap<(&str, &str), String> = std::collections::BTreeMap::new();
    for object in objects {
        let volumes = object.pod_spec().and_then(|s| s.get("volumes")).map(Node::items).unwrap_or_default();
        for volume in volumes {
            let Some(claim) = volume.at(&["persistentVolumeClaim", "claimName"]) else { continue };
            let Some(name) = claim.as_str() else { continue };
            if !may_hold_data(object, volume) {
                continue;
            }
            let key = (object.namespace_or_default(), name);
            match first_user.get(&key) {
                Some(other) => out.push(
                    Finding::new(
                        &PG_WORKLOAD,
                        object,
                        claim.span.clone(),
                        "volumes.persistentVolumeClaim.claimName",
                        format!("PersistentVolumeClaim `{name}` is also mounted by {other}"),
                    )
                    .help("give each database pod its own claim (StatefulSet volumeClaimTemplates)"),
                ),
                None => {
                    first_user.insert(key, object.display());
                }
            }
        }
    }
}

/// Whether a pod volume may hold a database's files. A volume that every
/// `PostgreSQL` container mounts away from its PGDATA (a WAL archive shared by
/// the primary, its replicas and a backup job) is not a data volume, so sharing
/// it is no PG001; any other mount of it counts as data.
fn may_hold_data(object: &Object<'_>, volume: &Node) -> bool {
    let Some(name) = volume.get("name").and_then(Node::as_str) else { return true };
    let mut mounted = false;
    for (_, container) in object.containers() {
        let image = container.get("image").and_then(Node::as_str).map(image_name).unwrap_or_default();
        let pgdata = env_vars(container)
            .iter()
            .find(|e| e.get("name").and_then(Node::as_str) == Some("PGDATA"))
            .and_then(|e| e.get("value")?.as_str())
            .unwrap_or(DEFAULT_PGDATA);
        for mount in container.get("volumeMounts").map(Node::items).unwrap_or_default() {
            if mount.get("name").and_then(Node::as_str) != Some(name) {
                continue;
            }
            let Some(path) = mount.get("mountPath").and_then(Node::as_str) else { return true };
            let path = path.trim_end_matches('/');
            let holds_pgdata = pgdata == path || pgdata.starts_with(&format!("{path}/"));
            if !runs_postgres(object, container, image) || holds_pgdata {
                return true;
            }
            mounted = true;
        }
    }
    !mounted
}

#[cfg(test)]
mod tests {
    use super::super::{test_environment, test_objects};
    use super::*;

    /// `(rule, help)` of every finding on a two-replica `StatefulSet` running `image`, with `extra` YAML in its container.
    fn findings(image: &str, extra: &str) -> Vec<(&'static str, String)> {
        let yaml = format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\n  namespace: app\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: main\n        image: {image}\n        resources:\n          limits: {{memory: 1Gi}}\n{extra}"
        );
        let mut out = Vec::new();
        test_objects(&[("a.yaml", &yaml)], |objects| check(objects, &test_environment(), &mut out));
        out.into_iter().map(|f| (f.rule.id, f.help.unwrap_or_default())).collect()
    }

    const PGDATA_AT_ROOT: &str = "        env:\n        - name: PGDATA\n          value: /data\n        volumeMounts:\n        - name: d\n          mountPath: /data\n";

    #[test]
    fn postgres_rules_fire_on_postgres_containers_only() {
        let rules = |image: &str| findings(image, PGDATA_AT_ROOT).into_iter().map(|f| f.0).collect::<Vec<_>>();
        assert_eq!(rules("postgres:16"), ["PG002", "PG009", "PG005"]);
        assert_eq!(rules("ghcr.io/acme/backend:1.4.2"), ["PG009"]);
    }

    #[test]
    fn probe_advice_fits_the_container() {
        let help = |image: &str| findings(image, "").into_iter().find(|f| f.0 == "PG009").unwrap().1;
        assert!(help("postgres:16").contains("pg_isready"));
        let backend = help("ghcr.io/acme/backend:1.4.2");
        assert!(!backend.contains("pg_isready") && backend.contains("readinessProbe"), "{backend}");
    }

    #[test]
    fn tag_advice_names_the_image() {
        let help = |image: &str| findings(image, "").into_iter().find(|f| f.0 == "PG007").unwrap().1;
        assert_eq!(
            help("registry:5000/acme/backend"),
            "pin a version tag, e.g. registry:5000/acme/backend:<version>, or a digest"
        );
        assert_eq!(help("nginx:latest"), "pin a version tag, e.g. nginx:<version>, or a digest");
    }
}
