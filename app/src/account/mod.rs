//! Signing up, confirming email, signing in and out, and resetting a password.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
