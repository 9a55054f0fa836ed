//! Scenario files: the data types, loading RON with spanned errors, the limits a file must keep,
//! and the collecting of problems with their file positions. Turning a file into the runtime world
//! is [`crate::build`]'s.

pub mod check;
pub mod demand;
pub mod limits;
pub mod load;
pub mod model;
pub mod spans;
pub mod vehicles;

pub use limits::Limits;
pub use load::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, load_file, parse_file, parse_str, read_text, resolve_venue};
pub use model::Scenario;
