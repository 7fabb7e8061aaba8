//! Integration tests: the real router, driven in-process, on SQLite and on PostgreSQL.

mod accounts;
mod web;
mod support;
