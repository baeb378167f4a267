//! Random identifiers in AWS's shape: lowercase alphanumeric, 10 characters for a REST API's root
//! resource and API ids, 6 for resources, models, validators and authorizers.
//!
//! Ids only need to be unique within one API, not unguessable, so a fast non-cryptographic
//! generator is enough.

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new random id of `len` lowercase letters and digits.
pub fn new_id(len: usize) -> String {
    (0..len)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_aws_shape() {
        for len in [6, 10] {
            let id = new_id(len);
            assert_eq!(id.len(), len);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
        assert_ne!(new_id(10), new_id(10));
    }
}
