//! What an environment file tells the checks about its cluster: provider,
//! Kubernetes version, what exists outside the tree, and rules turned off
//! (each with its reason).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Check settings of one environment, from its `[environment]` table.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `k3d`, `eks`, `gke` or `aks`.
    pub provider: String,
    /// Kubernetes minor version, e.g. `1.31`.
    pub kubernetes: String,
    /// Namespaces that exist in the cluster without being in the tree.
    pub existing_namespaces: BTreeSet<String>,
    /// Secrets created outside the tree (by hand, External Secrets, Sealed Secrets…).
    pub external_secrets: BTreeSet<String>,
    /// `ConfigMap`s created outside the tree.
    pub external_config_maps: BTreeSet<String>,
    /// `StorageClass`es the cluster offers; the provider's known classes when not set.
    pub storage_classes: Vec<String>,
    /// Disabled rule IDs, with the reason given.
    pub disabled: BTreeMap<String, String>,
}

/// `StorageClass`es each provider ships or documents.
pub fn provider_storage_classes(provider: &str) -> &'static [&'static str] {
    match provider {
        "k3d" => &["local-path"],
        "eks" => &["gp2", "gp3", "io1", "io2", "st1", "sc1", "efs-sc"],
        "gke" => &["standard", "standard-rwo", "premium-rwo", "standard-rwx", "premium-rwx", "hyperdisk-balanced"],
        "aks" => &[
            "default",
            "managed",
            "managed-premium",
            "managed-csi",
            "managed-csi-premium",
            "azurefile",
            "azurefile-premium",
            "azurefile-csi",
            "azurefile-csi-premium",
        ],
        _ => &[],
    }
}

impl Settings {
    /// Reads the (already schema-validated) `[environment]` table.
    pub fn from_environment(table: &Value) -> Settings {
        let text = |key: &str| table[key].as_str().unwrap_or_default().to_string();
        let set = |key: &str| -> BTreeSet<String> {
            table[key].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
        };
        let provider = text("provider");
        let storage_classes = match table["storageClasses"].as_array() {
            Some(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            None => provider_storage_classes(&provider).iter().map(|s| (*s).to_string()).collect(),
        };
        let disabled = table["rules"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, reason)| (id.clone(), reason.as_str().unwrap_or_default().to_string()))
            .collect();
        Settings {
            kubernetes: text("kubernetes"),
            existing_namespaces: set("existingNamespaces"),
            external_secrets: set("externalSecrets"),
            external_config_maps: set("externalConfigMaps"),
            storage_classes,
            disabled,
            provider,
        }
    }
}
