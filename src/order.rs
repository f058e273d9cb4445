//! The order manifests are applied in: numbered folders by number
//! (`2-x` before `10-y`), then names, so `--stdout` and `kubectl apply`
//! agree with the tree.

use std::cmp::Ordering;

/// Compares two relative output paths in apply order.
pub fn apply_order(a: &str, b: &str) -> Ordering {
    let mut left = a.split('/');
    let mut right = b.split('/');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            // A file in a folder comes before that folder's subfolders.
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match component_key(x).cmp(&component_key(y)) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// A leading number sorts numerically; names without one come after all numbered ones.
fn component_key(name: &str) -> (u64, &str) {
    let digits = name.len() - name.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = name[..digits].parse().unwrap_or(u64::MAX);
    (number, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_folders_sort_numerically() {
        let mut paths = vec![
            "10-apps/a.yaml",
            "4-database/postgres-statefulset.yaml",
            "1-namespaces/namespaces.yaml",
            "4-database/postgres-service.yaml",
            "extra/z.yaml",
            "2-storage/storageclass.yaml",
        ];
        paths.sort_by(|a, b| apply_order(a, b));
        assert_eq!(
            paths,
            [
                "1-namespaces/namespaces.yaml",
                "2-storage/storageclass.yaml",
                "4-database/postgres-service.yaml",
                "4-database/postgres-statefulset.yaml",
                "10-apps/a.yaml",
                "extra/z.yaml",
            ]
        );
    }
}
