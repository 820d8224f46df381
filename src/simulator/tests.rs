//! Unit tests of the directory rules (organizers, meetings), without HTTP.
