//! Team members, their roles, and email invitations.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod plan;
#[cfg(feature = "ssr")]
pub mod service;
