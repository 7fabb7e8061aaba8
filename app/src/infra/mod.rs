//! Server-only infrastructure: database, clock, email, secrets, password hashing, rate limits
//! and the state that server functions share.

pub mod audit;
pub mod clock;
pub mod db;
pub mod limits;
pub mod mail;
pub mod passwords;
pub mod request;
pub mod state;
pub mod tokens;
