//! Boot settings.
