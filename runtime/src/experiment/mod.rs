//! Experiments as data: load (JSON, with file:line:column on syntax errors) → validate (every error at
//! once, each with a JSON pointer) → a typed [`Experiment`]. No I/O beyond reading the file, no running.

mod aliases;
mod load;
mod model;
mod tolerance;
mod validate;

pub use aliases::{ALIASES, Alias};
pub use load::{LoadError, load_file};
pub use model::*;
pub use tolerance::{Tolerance, ToleranceError};
pub use validate::{Invalid, ValidationError, validate};
