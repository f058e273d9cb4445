//! The `[environment]` table of an environment file: what cluster its
//! manifests are for, and what the output checks need to know about that
//! cluster. Its JSON Schema is compiled into the binary; the table is
//! deserialised once, after it validated, into [`Environment`], which the
//! templates' context and the checks both read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::render::EnvContext;
use crate::schema::Schema;

/// The table's key in environment files.
pub const KEY: &str = "environment";

/// The table's JSON Schema.
pub const SCHEMA: &str = include_str!("environment.schema.json");

/// The validator of [`SCHEMA`], generated at build time.
#[jsonschema::validator(
    path = "src/environment.schema.json",
    draft = Draft202012,
    pattern_options = { engine = regex },
    methods = { is_valid = false, validate = false }
)]
struct EnvironmentSchema;

/// [`SCHEMA`] with its build-time validator: ready at once, never compiled at run time.
pub fn schema() -> Schema {
    Schema::embedded("<pgrender environment schema>", SCHEMA, EnvironmentSchema::iter_errors)
}

/// Where the cluster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// k3d on a laptop.
    K3d,
    /// Amazon EKS.
    Eks,
    /// Google GKE.
    Gke,
    /// Azure AKS.
    Aks,
}

impl Provider {
    /// The name environment files and templates use.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::K3d => "k3d",
            Provider::Eks => "eks",
            Provider::Gke => "gke",
            Provider::Aks => "aks",
        }
    }

    /// `StorageClass`es the provider ships or documents.
    pub fn storage_classes(self) -> &'static [&'static str] {
        match self {
            Provider::K3d => &["local-path"],
            Provider::Eks => &["gp2", "gp3", "io1", "io2", "st1", "sc1", "efs-sc"],
            Provider::Gke => {
                &["standard", "standard-rwo", "premium-rwo", "standard-rwx", "premium-rwx", "hyperdisk-balanced"]
            }
            Provider::Aks => &[
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
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One environment's `[environment]` table, validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    /// Where the cluster runs.
    pub provider: Provider,
    /// Kubernetes minor version, e.g. `1.31`.
    pub kubernetes: String,
    /// Free text shown in documentation.
    #[serde(default)]
    pub description: Option<String>,
    /// Namespaces that exist in the cluster without being in the tree.
    #[serde(default)]
    pub existing_namespaces: BTreeSet<String>,
    /// Secrets created outside the tree (by hand, External Secrets, Sealed Secrets…).
    #[serde(default)]
    pub external_secrets: BTreeSet<String>,
    /// `ConfigMap`s created outside the tree.
    #[serde(default)]
    pub external_config_maps: BTreeSet<String>,
    /// `StorageClass`es the cluster offers, when the file lists them.
    #[serde(default, rename = "storageClasses")]
    listed_storage_classes: Option<Vec<String>>,
    /// Disabled rule IDs, with the reason given.
    #[serde(default, rename = "rules")]
    pub disabled: BTreeMap<String, String>,
}

impl Environment {
    /// Deserialises a table that passed [`schema`]. The schema is stricter
    /// than the type, so an error here means the two disagree.
    pub fn from_validated(table: &Value) -> Result<Environment, Error> {
        Environment::deserialize(table).map_err(|err| {
            Error::Reported(vec![
                Diagnostic::error(format!("cannot read the [{KEY}] table: {err}"))
                    .note("the table matches pgrender's environment schema, which pgrender itself does not follow"),
            ])
        })
    }

    /// `StorageClass`es the cluster offers: those listed, else the provider's known classes.
    pub fn storage_classes(&self) -> Vec<&str> {
        match &self.listed_storage_classes {
            Some(listed) => listed.iter().map(String::as_str).collect(),
            None => self.provider.storage_classes().to_vec(),
        }
    }

    /// What templates see of environment `name`.
    pub fn context(&self, name: &str) -> EnvContext {
        EnvContext {
            name: name.to_string(),
            provider: self.provider.as_str().to_string(),
            kubernetes: self.kubernetes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table setting every key the schema knows.
    fn full_table() -> Value {
        serde_json::json!({
            "provider": "eks",
            "kubernetes": "1.31",
            "description": "production",
            "existingNamespaces": ["kube-system"],
            "externalSecrets": ["db-credentials"],
            "externalConfigMaps": ["tuning"],
            "storageClasses": ["fast"],
            "rules": {"PG003": "sealed secrets are applied later"},
        })
    }

    #[test]
    fn every_key_of_the_schema_is_a_field() {
        let table = full_table();
        let doc: Value = serde_json::from_str(SCHEMA).unwrap();
        let keys: BTreeSet<&String> = doc["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, table.as_object().unwrap().keys().collect(), "full_table() must set every schema key");
        assert!(schema().violations(&table).unwrap().is_empty());
        let environment = Environment::from_validated(&table).unwrap();
        assert_eq!(environment.provider, Provider::Eks);
        assert_eq!(environment.kubernetes, "1.31");
        assert_eq!(environment.existing_namespaces, BTreeSet::from(["kube-system".to_string()]));
        assert_eq!(environment.external_secrets, BTreeSet::from(["db-credentials".to_string()]));
        assert_eq!(environment.external_config_maps, BTreeSet::from(["tuning".to_string()]));
        assert_eq!(environment.storage_classes(), ["fast"]);
        assert_eq!(environment.disabled["PG003"], "sealed secrets are applied later");
    }

    #[test]
    fn every_provider_of_the_schema_deserialises() {
        let doc: Value = serde_json::from_str(SCHEMA).unwrap();
        for name in doc["properties"]["provider"]["enum"].as_array().unwrap() {
            let table = serde_json::json!({"provider": name, "kubernetes": "1.31"});
            let environment = Environment::from_validated(&table).unwrap();
            assert_eq!(environment.provider.as_str(), name.as_str().unwrap());
            assert_eq!(environment.storage_classes(), environment.provider.storage_classes());
        }
    }

    #[test]
    fn the_context_names_the_environment_and_its_cluster() {
        let environment =
            Environment::from_validated(&serde_json::json!({"provider": "k3d", "kubernetes": "1.30"})).unwrap();
        let context = environment.context("local");
        assert_eq!(
            (context.name.as_str(), context.provider.as_str(), context.kubernetes.as_str()),
            ("local", "k3d", "1.30")
        );
    }
}
