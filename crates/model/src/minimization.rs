//! Data minimization: the field names OpenBureau refuses outright.
//!
//! PRC law (征信业管理条例 art. 14) bans collecting religion, genes, fingerprints, blood type,
//! illness and medical history; the mission bans anything at purchase level (what people bought,
//! where). A record carrying any of these names is rejected with `FIELD_BANNED`, naming the field,
//! and nothing of it is stored. The lists are data, not code paths, so a deployment can review them.

/// Field names (lower case, `_` separated) that reveal purchases: never collected.
pub const PURCHASE_FIELDS: &[&str] = &[
    "merchant",
    "merchant_name",
    "merchant_id",
    "merchant_category",
    "mcc",
    "item",
    "items",
    "item_name",
    "sku",
    "product",
    "product_name",
    "goods",
    "purchase",
    "purchases",
    "purchase_category",
    "spending_category",
    "category",
    "transaction",
    "transactions",
    "order",
    "order_id",
    "basket",
    "store",
    "shop",
    "location",
    "gps",
    "ip_address",
];

/// Field names of categories the law bans.
pub const BANNED_CATEGORY_FIELDS: &[&str] = &[
    "religion",
    "faith",
    "gene",
    "genes",
    "genetic",
    "genome",
    "dna",
    "fingerprint",
    "fingerprints",
    "biometric",
    "biometrics",
    "blood_type",
    "illness",
    "disease",
    "diagnosis",
    "medical",
    "medical_history",
    "health",
    "health_status",
    "ethnicity",
    "political_affiliation",
];

/// Why a field name is refused, or `None` when it is not on either list.
/// Matching ignores case and treats `-` and `camelCase` humps as `_`.
pub fn banned_field(name: &str) -> Option<&'static str> {
    let normalized = normalize(name);
    if PURCHASE_FIELDS.contains(&normalized.as_str()) {
        Some("purchase-level data is never collected")
    } else if BANNED_CATEGORY_FIELDS.contains(&normalized.as_str()) {
        Some("a category the law forbids collecting")
    } else {
        None
    }
}

fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(if c == '-' { '_' } else { c.to_ascii_lowercase() });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_banned_names() {
        assert!(super::banned_field("merchant").is_some());
        assert!(super::banned_field("bloodType").is_some());
        assert!(super::banned_field("Religion").is_some());
        assert!(super::banned_field("balance").is_none());
    }
}
