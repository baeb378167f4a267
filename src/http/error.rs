//! (filled in by the http work)
#[derive(Debug)]
pub enum HeadError {}
