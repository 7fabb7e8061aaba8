//! Integration tests: the real router, driven in-process, on SQLite and on PostgreSQL.

mod accounts;
mod permissions;
mod support;
mod team;
mod web;
