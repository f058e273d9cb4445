//! Streaming replication settings against the replicas that use them: a
//! replica `StatefulSet` (annotation `pgrender.io/replication: replica`) reads
//! its server settings from the `.conf` files of the `ConfigMaps` its pods
//! mount, and those must leave room for every replica and its quorum.

use std::collections::{BTreeMap, HashMap};

use super::rules::{PG_SENDERS, PG_SYNC_QUORUM};
use super::{Finding, Object};
use crate::yaml::Node;

/// `PostgreSQL`'s defaults of the settings read here.
const DEFAULT_SENDERS: i64 = 10;
const DEFAULT_SLOTS: i64 = 10;

/// Runs the replication rules.
pub fn check(objects: &[Object<'_>], out: &mut Vec<Finding>) {
    // The first of two same-named ConfigMaps wins, as a search in order would find it.
    let mut configs = HashMap::new();
    for config in objects.iter().filter(|o| o.kind == "ConfigMap") {
        configs.entry((config.namespace_or_default(), config.name)).or_insert(config);
    }
    for object in objects.iter().filter(|o| o.kind == "StatefulSet") {
        if object.doc.at(&["metadata", "annotations", "pgrender.io/replication"]).and_then(Node::as_str)
            != Some("replica")
        {
            continue;
        }
        let Some(replicas_node) = object.doc.at(&["spec", "replicas"]) else { continue };
        let Some(replicas) = replicas_node.as_int() else { continue };
        let settings = mounted_settings(object, &configs);
        let span = replicas_node.span.clone();
        let int = |name: &str, default: i64| settings.get(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(default);
        let senders = int("max_wal_senders", DEFAULT_SENDERS);
        let slots = int("max_replication_slots", DEFAULT_SLOTS);
        // A replica's bootstrap runs pg_basebackup with WAL streaming: two senders.
        if replicas + 1 > senders || replicas > slots {
            out.push(
                Finding::new(
                    &PG_SENDERS,
                    object,
                    span.clone(),
                    "spec.replicas",
                    format!(
                        "{replicas} replicas, but max_wal_senders = {senders} and max_replication_slots = {slots}"
                    ),
                )
                .help(format!(
                    "each replica needs a sender and a slot, and a bootstrap one sender more: set max_wal_senders to at least {} and max_replication_slots to at least {replicas}",
                    replicas + 1
                )),
            );
        }
        if let Some(names) = settings.get("synchronous_standby_names") {
            let pods: Vec<String> = (0..replicas).map(|i| format!("{}-{i}", object.name)).collect();
            if let Some((quorum, listed)) = quorum(names) {
                let available = listed.iter().filter(|n| *n == "*" || pods.contains(n)).count();
                let available = if listed.iter().any(|n| n == "*") { pods.len() } else { available };
                if quorum > available {
                    out.push(
                        Finding::new(
                            &PG_SYNC_QUORUM,
                            object,
                            span,
                            "spec.replicas",
                            format!(
                                "synchronous_standby_names waits for {quorum} of {available} replica(s) that exist: every commit would hang"
                            ),
                        )
                        .help("lower the quorum or add replicas; the names are the replicas' pod names (their application_name)"),
                    );
                }
            }
        }
    }
}

/// Settings of every `.conf` file of the `ConfigMaps` the `StatefulSet`'s pods mount.
fn mounted_settings(object: &Object<'_>, configs: &HashMap<(&str, &str), &Object<'_>>) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    let volumes = object.pod_spec().and_then(|s| s.get("volumes")).map(Node::items).unwrap_or_default();
    for name in volumes.iter().filter_map(|v| v.at(&["configMap", "name"])?.as_str()) {
        let config = configs.get(&(object.namespace_or_default(), name));
        let Some(data) = config.and_then(|c| c.doc.get("data")) else { continue };
        let is_conf = |key: &str| std::path::Path::new(key).extension().is_some_and(|e| e.eq_ignore_ascii_case("conf"));
        for entry in data.entries().iter().filter(|e| is_conf(&e.key)) {
            if let Some(text) = entry.value.as_str() {
                settings.extend(parse_conf(text));
            }
        }
    }
    settings
}

/// `name = value` lines of a postgresql.conf, comments dropped and quotes removed.
fn parse_conf(text: &str) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else { continue };
        let value = value.trim();
        let value = match value.strip_prefix('\'') {
            Some(quoted) => quoted.split_once('\'').map_or(quoted, |(v, _)| v),
            None => value.split('#').next().unwrap_or(value).trim(),
        };
        settings.insert(name.trim().to_ascii_lowercase(), value.to_string());
    }
    settings
}

/// The number of standbys a commit waits for and the names listed, from
/// `ANY k (a, b)`, `FIRST k (a, b)`, `k (a, b)` or a bare list (k = 1).
fn quorum(names: &str) -> Option<(usize, Vec<String>)> {
    let names = names.trim();
    if names.is_empty() {
        return None;
    }
    let (head, list) = match names.split_once('(') {
        Some((head, rest)) => (head.trim(), rest.trim_end().strip_suffix(')')?),
        None => ("", names),
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let count = match words.as_slice() {
        [] => 1,
        [k] | ["ANY" | "any" | "FIRST" | "first", k] => k.parse().ok()?,
        _ => return None,
    };
    let listed = list.split(',').map(|n| n.trim().trim_matches('"').to_string()).collect();
    Some((count, listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_forms() {
        assert_eq!(quorum("ANY 2 (\"a-0\", \"a-1\")"), Some((2, vec!["a-0".into(), "a-1".into()])));
        assert_eq!(quorum("FIRST 1 (a, b)"), Some((1, vec!["a".into(), "b".into()])));
        assert_eq!(quorum("3 (a)"), Some((3, vec!["a".into()])));
        assert_eq!(quorum("a, b"), Some((1, vec!["a".into(), "b".into()])));
        assert_eq!(quorum(""), None);
    }

    #[test]
    fn conf_values_lose_quotes_and_comments() {
        let conf = parse_conf("# c\nmax_wal_senders = 4 # four\nsynchronous_standby_names = 'ANY 1 (\"x\")'\n");
        assert_eq!(conf["max_wal_senders"], "4");
        assert_eq!(conf["synchronous_standby_names"], "ANY 1 (\"x\")");
    }
}
