//! posthog-charttest: tests the PostHog Helm chart from the first template to the last
//! ingested event.

pub mod chart;
pub mod cli;
pub mod cluster;
pub mod e2e;
pub mod engine;
pub mod fuzz;
pub mod lint;
pub mod load;
pub mod par;
pub mod render;
pub mod report;
pub mod unittest;
pub mod upgrade;
pub mod verify;
