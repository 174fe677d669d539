//! Go's `encoding/json`, as `toJson` and `fromJson` observe it.
