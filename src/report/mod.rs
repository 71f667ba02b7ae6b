//! Output for people: terminal tables. (Report files arrive with the drift engine.)

pub mod terminal;
