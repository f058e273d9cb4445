//! The catalogue of checks: every finding belongs to a rule with a stable
//! ID, a default severity and the reason it exists. IDs never change
//! meaning; environment files disable rules by ID.

use crate::diagnostic::Severity;

/// One check, as listed by `pgrender rules`.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier, e.g. `PG002`.
    pub id: &'static str,
    /// Severity unless the rule says otherwise for a provider.
    pub severity: Severity,
    /// One-line summary.
    pub title: &'static str,
    /// Why the rule exists.
    pub rationale: &'static str,
}

macro_rules! rule {
    ($name:ident, $id:literal, $severity:ident, $title:literal, $rationale:literal) => {
        #[doc = concat!("Rule ", $id, ".")]
        pub static $name: Rule = Rule { id: $id, severity: Severity::$severity, title: $title, rationale: $rationale };
    };
}

rule!(
    K8S_UNKNOWN_FIELD,
    "K8S001",
    Error,
    "unknown field",
    "The API server drops or rejects fields it does not know, so a misspelt `storageClasName` silently gives you the default StorageClass."
);
rule!(
    K8S_TYPE,
    "K8S002",
    Error,
    "wrong type or value",
    "`replicas: \"1\"` or a bad enum value is rejected at `kubectl apply` time; finding it at render time points at the template line."
);
rule!(
    K8S_MISSING,
    "K8S003",
    Error,
    "missing required field",
    "The API server rejects objects without their required fields (a container without `name`, an object without `metadata.name`)."
);
rule!(
    K8S_UNKNOWN_KIND,
    "K8S004",
    Error,
    "unknown apiVersion or kind",
    "An apiVersion/kind the cluster's Kubernetes version does not serve (removed beta APIs, typos) fails to apply."
);
rule!(
    K8S_UNVALIDATED,
    "K8S005",
    Warning,
    "kind not validated",
    "Custom resources (e.g. ExternalSecret) and rarely rendered built-in kinds have no compiled-in schema; they are reported rather than silently passed."
);
rule!(
    X_SERVICE,
    "XOB001",
    Error,
    "StatefulSet service is missing, not headless or selects other pods",
    "A StatefulSet's `serviceName` must name a headless Service (`clusterIP: None`) in its namespace whose selector matches its pods, or the pods get no stable DNS names (postgres-0.postgres-service...)."
);
rule!(
    X_SELECTOR,
    "XOB002",
    Error,
    "selector does not match the pod template labels",
    "A workload whose selector does not match its own pod labels is rejected by the API server; a Service whose selector matches no pod in the tree routes nowhere."
);
rule!(
    X_NAMESPACE,
    "XOB003",
    Error,
    "namespace not created",
    "Applying an object into a namespace that does not exist fails; the tree must create it (1-namespaces/) or the environment must declare it in `existingNamespaces`."
);
rule!(
    X_VOLUME,
    "XOB004",
    Error,
    "volumeMount names no volume",
    "A volumeMount must name a pod volume or a volumeClaimTemplate, or the pod is rejected."
);
rule!(
    X_REFERENCE,
    "XOB005",
    Warning,
    "reference to a Secret or ConfigMap that is not in the tree",
    "A `secretKeyRef`/`configMapKeyRef` to a missing object leaves the pod stuck in CreateContainerConfigError. A warning, since secrets are often created out of band (`kubectl create secret`, External Secrets): declare those in `externalSecrets` / `externalConfigMaps` to say so."
);
rule!(
    X_DUPLICATE,
    "XOB006",
    Error,
    "object rendered twice",
    "Two documents (of one chart or of two) with the same API group, kind, namespace and name are one object to the cluster: `kubectl apply` keeps whichever comes last and silently drops the other."
);
rule!(
    X_DNS,
    "XOB007",
    Error,
    "Service DNS name or port that no Service in the tree serves",
    "A Service DNS name (`svc.ns`, `svc.ns.svc.cluster.local`, with a port or inside a URL) in a container's env value or a ConfigMap must name a Service of the tree on a port it exposes, or the application fails at run time with a DNS or connection error. Namespaces in `existingNamespaces` are not checked."
);
rule!(
    PG_WORKLOAD,
    "PG001",
    Error,
    "database run by a Deployment or on a shared volume claim",
    "A Deployment gives database pods random names, starts them in no order and lets replicas share one PVC, so two database processes write the same files and corrupt them. Use a StatefulSet with volumeClaimTemplates: stable names, one PVC per pod, ordered start-up."
);
rule!(
    PG_PGDATA,
    "PG002",
    Error,
    "PGDATA is the volume root",
    "A fresh volume's root can hold `lost+found`, and initdb refuses a non-empty directory. Point PGDATA at a subdirectory, e.g. /var/lib/postgresql/data/pgdata. Checked on PostgreSQL containers only."
);
rule!(
    PG_PASSWORD,
    "PG003",
    Error,
    "plain-text password in the manifest",
    "Passwords in `env[].value` end up in Git, in `kubectl get -o yaml` and in every log of the manifests. Read them with `valueFrom.secretKeyRef`. A warning on k3d, where throw-away credentials are common."
);
rule!(
    PG_STORAGE_CLASS,
    "PG004",
    Error,
    "StorageClass foreign to the provider",
    "A claim for a class the cluster does not have stays Pending forever (`gp3` on GKE, `local-path` on EKS). Each provider's classes are data, overridable with `storageClasses` in the environment file."
);
rule!(
    PG_REPLICAS,
    "PG005",
    Error,
    "several PostgreSQL replicas without replication",
    "`replicas > 1` on plain PostgreSQL starts independent primaries with diverging data. Configure replication (Patroni, repmgr, an operator) or keep one replica."
);
rule!(
    PG_REQUESTS,
    "PG006",
    Warning,
    "requests above limits",
    "A request above its limit is rejected by the API server, or throttles the container from the start."
);
rule!(
    PG_IMAGE_TAG,
    "PG007",
    Warning,
    "image without a fixed tag",
    "`:latest` or an untagged image changes under you: a restart can pull a version nobody tested (for a database, a new major version its data files do not fit)."
);
rule!(
    PG_LIMITS,
    "PG008",
    Warning,
    "missing resource limits",
    "Without a memory limit one container can take a node's memory and get other pods evicted; without requests the scheduler cannot place it sensibly."
);
rule!(
    PG_PROBES,
    "PG009",
    Warning,
    "missing probes",
    "Without a readiness probe a Service sends traffic to a container before it accepts connections; without a liveness probe a hung process is never restarted."
);

rule!(
    YAML11_TYPE,
    "YML001",
    Error,
    "string that Kubernetes reads as another type",
    "kubectl, Argo CD and Helm read manifests as YAML 1.1 (go-yaml v2 through sigs.k8s.io/yaml), where a plain `yes`, `on`, `n` or `1_000` is a boolean or a number: a label or env value fails to apply (`cannot unmarshal bool into ... of type string`), an int-or-string field silently changes. Quote the value."
);
rule!(
    YAML11_ONLY,
    "YML002",
    Warning,
    "value that only YAML 1.1 reads as the field's type",
    "`enabled: yes` or `replicas: 1_000` works with kubectl, which reads YAML 1.1, but is a string to YAML 1.2 tools (yq, linters, newer libraries). Write `true`/`false` and plain numbers."
);
rule!(
    PG_SENDERS,
    "PG010",
    Error,
    "more replicas than replication connections",
    "Each streaming replica holds a WAL sender and a replication slot on the primary, and a replica's bootstrap (pg_basebackup with WAL streaming) takes one sender more; past `max_wal_senders` or `max_replication_slots` the next replica cannot connect and never becomes ready."
);
rule!(
    PG_SYNC_QUORUM,
    "PG011",
    Error,
    "synchronous quorum larger than the replicas",
    "With `synchronous_standby_names` waiting for more standbys than exist, every commit on the primary waits forever: the database looks up but accepts no writes."
);

/// Every rule, in ID order.
pub static ALL: [&Rule; 25] = [
    &K8S_UNKNOWN_FIELD,
    &K8S_TYPE,
    &K8S_MISSING,
    &K8S_UNKNOWN_KIND,
    &K8S_UNVALIDATED,
    &PG_WORKLOAD,
    &PG_PGDATA,
    &PG_PASSWORD,
    &PG_STORAGE_CLASS,
    &PG_REPLICAS,
    &PG_REQUESTS,
    &PG_IMAGE_TAG,
    &PG_LIMITS,
    &PG_PROBES,
    &PG_SENDERS,
    &PG_SYNC_QUORUM,
    &X_SERVICE,
    &X_SELECTOR,
    &X_NAMESPACE,
    &X_VOLUME,
    &X_REFERENCE,
    &X_DUPLICATE,
    &X_DNS,
    &YAML11_TYPE,
    &YAML11_ONLY,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_the_environment_schema_lists_them_all() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        let schema: serde_json::Value = serde_json::from_str(include_str!("../environment.schema.json")).unwrap();
        let listed: Vec<&str> =
            schema["properties"]["rules"]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(listed, ids);
    }

    #[test]
    fn the_readme_rules_table_is_this_catalogue() {
        let readme = include_str!("../../README.md");
        let table =
            readme.split("| ID | severity | what | why |\n| --- | --- | --- | --- |\n").nth(1).expect("the table");
        let rows: Vec<&str> = table.lines().take_while(|l| l.starts_with('|')).collect();
        let expected: Vec<String> = ALL
            .iter()
            .map(|r| {
                let severity = if r.severity == Severity::Error { "error" } else { "warning" };
                format!("| {} | {severity} | {} | {} |", r.id, r.title, r.rationale)
            })
            .collect();
        assert_eq!(rows, expected, "README.md's Rules table differs from `pgrender rules`");
    }
}
