//! Service DNS names inside free text (an env value, a `ConfigMap` entry):
//! `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`, a pod of a headless
//! Service (`pod.svc.ns.svc.cluster.local`), each with an optional `:port`,
//! also inside a URL such as `postgres://app@svc.ns:5432/db`.

/// One Service named by DNS in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName<'a> {
    /// The Service's name.
    pub service: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// The port written after the name, if any.
    pub port: Option<u16>,
    /// Whether the name ends in `.svc` or `.svc.cluster.local`, so it can
    /// only mean a Service; `a.b` may as well be a host outside the cluster.
    pub qualified: bool,
}

/// Every Service name in `text`, in order.
pub fn service_names(text: &str) -> Vec<ServiceName<'_>> {
    let mut found = Vec::new();
    let is_host_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find(is_host_char) {
        let len = rest[start..].find(|c| !is_host_char(c)).unwrap_or(rest.len() - start);
        let host = &text[offset + start..offset + start + len];
        let after = &rest[start + len..];
        let port = after.strip_prefix(':').and_then(|p| {
            let digits = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            p[..digits].parse().ok()
        });
        if let Some(name) = parse(host.trim_end_matches('.'), port) {
            found.push(name);
        }
        offset += start + len;
        rest = &text[offset..];
    }
    found
}

/// A host name as a Service name, when it has one of the Service DNS forms.
fn parse(host: &str, port: Option<u16>) -> Option<ServiceName<'_>> {
    let labels: Vec<&str> = host.split('.').collect();
    if !labels.iter().all(|l| is_dns_label(l)) {
        return None;
    }
    let (service, namespace, qualified) = match labels.as_slice() {
        [service, namespace] => (*service, *namespace, false),
        [service, namespace, "svc"] | [service, namespace, "svc", "cluster", "local"] => (*service, *namespace, true),
        [_pod, service, namespace, "svc"] | [_pod, service, namespace, "svc", "cluster", "local"] => {
            (*service, *namespace, true)
        }
        _ => return None,
    };
    Some(ServiceName { service, namespace, port, qualified })
}

/// An RFC 1123 label as Kubernetes names use it: lower-case letters, digits
/// and inner dashes, at most 63 characters.
fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, &str, Option<u16>, bool)> {
        service_names(text).into_iter().map(|n| (n.service, n.namespace, n.port, n.qualified)).collect()
    }

    #[test]
    fn finds_every_service_dns_form() {
        assert_eq!(names("postgres-service.postgresql-prod"), [("postgres-service", "postgresql-prod", None, false)]);
        assert_eq!(names("db.data.svc:5432"), [("db", "data", Some(5432), true)]);
        assert_eq!(names("db.data.svc.cluster.local."), [("db", "data", None, true)]);
        assert_eq!(names("postgres-0.postgres-service.db.svc.cluster.local"), [("postgres-service", "db", None, true)]);
        assert_eq!(
            names("postgres://app@postgres-service.postgresql-prod:5432/wealist?sslmode=disable"),
            [("postgres-service", "postgresql-prod", Some(5432), false)]
        );
        assert_eq!(names("a.b.svc, c.d.svc"), [("a", "b", None, true), ("c", "d", None, true)]);
    }

    #[test]
    fn ignores_what_is_not_a_service_name() {
        for text in ["postgres", "api.example.com", "1.2.3.4", "Db.Data.svc", "-a.b.svc", "/var/lib/postgresql", ""] {
            assert_eq!(names(text), [], "{text}");
        }
    }
}
